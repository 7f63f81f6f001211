"""The 结对关爱 monitoring dashboard (Streamlit app, builders, rules, CLI)."""
