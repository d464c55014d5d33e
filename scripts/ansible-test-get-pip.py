"""Offline replacement for the get-pip bootstrap script that ansible-test downloads from a host this machine cannot
reach. It does the same job with the standard library's ensurepip, then installs the requested pip from PyPI.
scripts/test.sh places it in ansible-test's cache under a private HOME; it is never run on managed hosts."""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
cert = os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--cert", cert, *args]))
