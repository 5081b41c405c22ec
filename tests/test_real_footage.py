"""Face extraction on real people speaking (the project's shared test clips; skipped when absent)."""

import pytest
from conftest import REAL_CLIPS, YUNET, needs_shared

import common


@needs_shared(REAL_CLIPS)
@pytest.mark.parametrize("detector", ["haar", "yunet"])
def test_faces_are_found_in_real_talking_head_clips(detector):
    if detector == "yunet" and not YUNET.exists():
        pytest.skip(f"{YUNET} is absent")
    det = common.make_detector(detector, str(YUNET) if detector == "yunet" else None)
    for path in [sorted((REAL_CLIPS / "grid").glob("*.mpg"))[0], sorted((REAL_CLIPS / "mead").glob("*.mp4"))[0]]:
        faces = common.extract_faces(path, det, size=48)
        assert faces["face_rate"] > 0.9, f"{path.name}: {faces['face_rate']:.2f}"
        assert faces["crops"].shape[1:] == (48, 48, 3) and len(faces["crops"]) >= 0.9 * faces["frames"]
