from pipeline.cli import run

if __name__ == "__main__":  # worker processes import this module: run only as a program
    run()
