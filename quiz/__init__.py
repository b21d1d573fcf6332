"""The quiz: a bilingual question bank (data files validated on load), seeded numeric
questions graded by quantlib, scoring, and the store of classroom sessions.

Never imports streamlit: the page (``views/quiz``) and the lesson (``lessons/quiz.py``)
sit above it, and a notebook can run a session with it alone.
"""
