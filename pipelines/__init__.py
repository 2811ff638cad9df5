"""Thin entry points and YAML configs of eeg-ssl (the only place for argparse, YAML, print)."""
