"""Home: what each page teaches, with a link to it."""

import streamlit as st

from dlviz import ui
from dlviz.core import catalog

ui.use_navigation()
st.title("dlviz: deep learning you can touch")
st.markdown(
    "Each page teaches one idea of a first deep-learning course. Change the settings and watch what "
    "happens: every network here is a real Keras model, and every page shows the code that builds it."
)
for topic, pages in catalog.TOPICS.items():
    st.subheader(topic)
    for page in pages:
        with st.container(border=True):
            st.page_link(page.path, label=page.title, icon=page.icon)
            st.caption(page.teaches)
st.caption(
    "Instructors: switch on *Projector mode* in the sidebar for large fonts and thick lines. "
    "Every page keeps its settings in the address bar, so a link opens exactly what you see."
)
