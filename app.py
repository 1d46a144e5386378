"""dlviz: the dashboard's entry point. Run with ``streamlit run app.py``."""

import streamlit as st

from dlviz import ui

st.set_page_config(page_title="dlviz: deep learning, live", page_icon="🧠", layout="wide")

# (file, title, icon, what it teaches). A page that does not exist yet is not listed.
TOPICS = {
    "Networks": [
        (
            "pages/playground.py",
            "Playground",
            ":material/hub:",
            "Build a network layer by layer and watch it learn XOR, circles, spirals, Gaussians and moons. "
            "Change neurons, activations and the learning rate, and see the decision boundary form.",
        ),
    ],
}


def home() -> None:
    st.title("dlviz: deep learning you can touch")
    st.markdown(
        "Each page teaches one idea of a first deep-learning course. Change the settings and watch what "
        "happens: every network here is a real Keras model, and every page shows the code that builds it."
    )
    for topic, pages in TOPICS.items():
        st.subheader(topic)
        for path, title, icon, blurb in pages:
            with st.container(border=True):
                st.page_link(path, label=title, icon=icon)
                st.caption(blurb)
    st.caption(
        "Instructors: switch on *Projector mode* in the sidebar for large fonts and thick lines. "
        "Every page keeps its settings in the address bar, so a link opens exactly what you see."
    )


navigation = {"": [st.Page(home, title="Home", icon=":material/home:", default=True)]}
for topic, pages in TOPICS.items():
    navigation[topic] = [st.Page(path, title=title, icon=icon) for path, title, icon, _ in pages]

page = st.navigation(navigation)
ui.projector_toggle()
page.run()
