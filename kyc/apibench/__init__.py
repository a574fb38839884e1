"""`manage.py api_benchmark`: the production-like stack on free ports, driven by wrk.

stack.py starts and stops its parts (a private PostgreSQL database and redis-server,
gunicorn with deploy/gunicorn.conf.py), fixtures.py fills the database from inside the
stack's own settings, load.py runs wrk and reads its numbers, inprocess.py times each
scenario's CPU in-process, urls.py adds the in-run ceiling (only when FILOT_API_BENCHMARK
is set, never in production).
"""
