"""Class mode's library: rooms, the wall, challenges and polls, kept in a SQL database (no streamlit here)."""
