"""dlviz: the dashboard's entry point. Run with ``streamlit run app.py``."""

from dlviz.core import tfconfig

tfconfig.configure()  # before any page imports TensorFlow
tfconfig.warm_up()

import streamlit as st  # noqa: E402

from dlviz import ui  # noqa: E402
from dlviz.core import catalog  # noqa: E402

ui.use_navigation()
ui.keep_keras_state()
st.set_page_config(page_title="dlviz: deep learning, live", page_icon="🧠", layout="wide")

navigation = {"": [st.Page(catalog.HOME.path, title=catalog.HOME.title, icon=catalog.HOME.icon, default=True)]}
for topic, pages in catalog.TOPICS.items():
    navigation[topic] = [st.Page(p.path, title=p.title, icon=p.icon) for p in pages]

page = st.navigation(navigation)
ui.projector_toggle()
page.run()
