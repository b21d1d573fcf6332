"""What each page shows, as pure functions over numpy and quantlib.

Every page has a module here with a frozen ``Settings``, a ``report(x, settings)`` that
returns small binned dataclasses (their size does not depend on the tensor's), and the
"maths" snippets. Nothing here imports streamlit, plotly or pandas, so a notebook or a
test can call any page's computation directly.
"""
