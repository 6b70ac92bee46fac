"""The one part of the build pyproject.toml cannot declare: the optional C kernel of the free-text
classifier's block measures (``auditor/classify/_measures.c``). ``optional=True``: where no C
compiler or no Python headers are found, the install goes on and ``auditor.classify.blocks``
uses its pure-Python measures (the same figures, slower). ``.ci/run`` provisions the compiler."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("auditor.classify._measures", ["auditor/classify/_measures.c"],
                                 extra_compile_args=["-ffp-contract=off"], optional=True)])
