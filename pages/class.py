"""Class: join the room on the projector, or run one (the dashboard, the wall, polls, challenges, export)."""

import streamlit as st

from dlviz import ui
from dlviz.ui import classroom

ui.use_navigation()
st.title("Class")
classroom.page()
