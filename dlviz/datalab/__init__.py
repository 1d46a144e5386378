"""Data lab: a Keras network on real tables and on your own CSV, the way the course trains one."""
