# Read by the flask command (python-dotenv) when run from the repository root with .venv active.
FLASK_APP=server.wsgi
