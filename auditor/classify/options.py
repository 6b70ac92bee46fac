"""Classifier options (thresholds, phone regions, bounds)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditor.classify.custom import DetectorSpec
from auditor.models import PERSONAL_DATA_TYPES

DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("SG", "MY", "ID", "TH", "PH", "VN", "CN", "HK", "TW")


class ClassifyOptions(BaseModel):
    """How sure the classifier must be before it names a type, and how much it reads.

    - ``threshold``: share of a field's non-empty sampled values that must validate
      for a type to be assigned on values alone;
    - ``hinted_threshold``: the same share when the field name is a strong hint;
    - ``mixed_share``: in a mixed field (several types validating, together above
      ``threshold``), the share each type needs;
    - ``max_values_per_field``: values read per field (the rest are ignored);
    - ``max_text_values``: validated candidates per type in free text (the count is
      then a lower bound, flagged ``{"capped": true}``): a safety bound;
    - ``settle_values``: in a field with more values than this, validation stops once
      every type's decision is settled (99% Wilson bounds clear of the thresholds, checked
      from this many values on, every 64); its counts are then extrapolated from the share
      (flagged ``{"estimated": true}``). A uniform column settles at 64 values, one near a
      threshold never does; 0 validates every value. In free text it is on or off only:
      when on, a chunk of at least 1 MiB is read as a sample of blocks per type until
      the type's count is known within 10% (99% bounds), see ``auditor.classify.text``;
    - ``detectors``: user-defined detectors, reported under their own names.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(0.8, gt=0.0, le=1.0)
    hinted_threshold: float = Field(0.3, gt=0.0, le=1.0)
    mixed_share: float = Field(0.2, gt=0.0, le=1.0)
    min_count: int = Field(1, ge=1)
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    max_values_per_field: int = Field(1000, ge=1)
    max_text_values: int = Field(1000, ge=1)
    max_text_candidates: int = Field(20000, ge=1)
    text_chunk_bytes: int = Field(262144, ge=1024)  # larger chunks: fewer repeated look-ups of one candidate
    probe_values: int = Field(64, ge=8)
    settle_values: int = Field(64, ge=0)  # 0: validate every value; else stop once each decision is settled
    max_examples: int = Field(3, ge=0, le=3)
    types: tuple[str, ...] = PERSONAL_DATA_TYPES
    detectors: tuple[DetectorSpec, ...] = ()  # user-defined detectors (config ``detectors:``), always enabled

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import phonenumbers

        out = tuple(dict.fromkeys(r.strip().upper() for r in value if r.strip()))
        unknown = [r for r in out if r not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown phone regions: {', '.join(unknown)}")
        return out

    @field_validator("types")
    @classmethod
    def _types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in PERSONAL_DATA_TYPES]
        if unknown:
            raise ValueError(f"unknown personal-data types: {', '.join(unknown)}")
        return tuple(value)
