"""The one part of the build pyproject.toml cannot declare: the optional C kernels, of the free-text
classifier's block measures (``auditor/classify/_measures.c``) and of a SQL sample's digest
(``connectors/sql/_digest.c``, with OpenSSL's libcrypto, the library Python's hashlib uses).
``optional=True``: where no C compiler, no Python headers or no OpenSSL headers are found, the
install goes on and ``auditor.classify.blocks`` / ``connectors.sql.sampling`` use their pure-Python
code (the same figures and digests, slower). ``.ci/run`` provisions the compiler and headers."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("auditor.classify._measures", ["auditor/classify/_measures.c"],
                             extra_compile_args=["-ffp-contract=off"], optional=True),
                   Extension("connectors.sql._digest", ["connectors/sql/_digest.c"], libraries=["crypto"],
                             optional=True)])
