from proofs.cli import entry

if __name__ == "__main__":  # not when multiprocessing re-imports it in a spawned worker
    entry()
