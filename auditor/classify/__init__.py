"""Personal-data classifier: bounded samples in, PersonalData summaries out.

Public API (stable; the engine and connectors rely on it):

- ``classify(sample, options=None) -> tuple[PersonalData, ...]``
- masking helpers in ``auditor.classify.masking``

(Interface stub: the detectors arrive with the classifier issue.)
"""

from __future__ import annotations

from auditor.models import PersonalData, Sample

__all__ = ["classify", "ClassifyOptions"]


class ClassifyOptions:  # replaced by a pydantic model in the classifier issue
    pass


def classify(sample: Sample, options: ClassifyOptions | None = None) -> tuple[PersonalData, ...]:
    return ()
