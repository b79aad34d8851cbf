-- wrk script: send HEAD instead of GET (bench/run.py, blob HEAD requests/s).
wrk.method = "HEAD"
