"""Data layer of the 结对关爱 dashboard: schema, migrations, queries, demo data, import.

Every SQL statement of the project lives in this package; nothing here imports streamlit.
"""
