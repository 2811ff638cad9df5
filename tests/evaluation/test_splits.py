"""Subject ids and the leakage check of evaluation.splits."""

from __future__ import annotations

import numpy as np
import pytest

from eeg_ssl.evaluation.splits import check_disjoint_subjects, subject_ids


def test_subject_ids__one_id_is_not_split_into_characters():
    assert subject_ids("03") == ["03"]
    assert subject_ids(3) == ["3"] and subject_ids(np.int64(3)) == ["3"]  # YAML ints
    assert subject_ids(["01", 2]) == ["01", "2"]


def test_check_disjoint_subjects__single_ids_compared_whole():
    check_disjoint_subjects("01", "03")  # would share "0" if iterated by character
    check_disjoint_subjects(1, [2, 3])
    with pytest.raises(ValueError, match=r"\['03'\] are in both"):
        check_disjoint_subjects("03", ["03", "04"])
