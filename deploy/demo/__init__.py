"""The demo programme: `python -m deploy.demo` (or `deploy/up --demo`) loads, through the public APIs, a
programme shaped like the final report in `../shared/sources/000_*`, so the pages show real-looking figures.

`data.py` holds the programme, `client.py` talks HTTP at the one origin, `loader.py` does the steps,
`__main__.py` finds the stack and the credentials.
"""
