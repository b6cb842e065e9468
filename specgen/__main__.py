from specgen.cli import run

run()
