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

home = st.Page(catalog.HOME.path, title=catalog.HOME.title, icon=catalog.HOME.icon, default=True)
infos = [(home, catalog.HOME)]
navigation = {"": [home]}
for topic, pages in {**catalog.TOPICS, "Together": [catalog.CLASS]}.items():
    navigation[topic] = []
    for info in pages:
        navigation[topic].append(st.Page(info.path, title=info.title, icon=info.icon))
        infos.append((navigation[topic][-1], info))

page = st.navigation(navigation)
ui.projector_toggle()
ui.class_bar(next((info for p, info in infos if p.url_path == page.url_path), catalog.HOME))
page.run()
