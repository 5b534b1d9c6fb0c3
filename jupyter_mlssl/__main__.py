from jupyter_mlssl.cli import entry

entry()
