"""The pure half of footage redaction (domain/footage_redaction.py): faces sampled a few
times a second become one cover per face that follows it; a cover's region at a time; marks
checked with every problem named by its field; the stored form holds no floats."""

from __future__ import annotations

from liuhen.domain.footage_redaction import (
    Cover,
    Mute,
    covers_at,
    from_dict,
    mutes_of,
    ordered,
    problems,
    tracks,
)


def test_two_faces_sampled_over_time_become_two_covers_that_follow_them() -> None:
    left = [(0.1 + 0.01 * i, 0.2, 0.1, 0.2) for i in range(5)]  # moving right
    right = (0.7, 0.2, 0.1, 0.2)
    samples = [(0.2 * i, [left[i]] + ([right] if i >= 2 else [])) for i in range(5)]
    first, second = tracks(samples, 0.2, file=1, reason="他人面部")
    assert (first.start, round(first.end, 3), len(first.track)) == (0.0, 1.0, 5)
    assert (round(second.start, 3), len(second.track)) == (0.3, 3)
    assert first.kind == "face" and first.ground == "privacy" and first.reason == "他人面部"
    # between two samples the region is interpolated, grown by the margin around the face
    x, y, w, h = first.box_at(0.1)
    assert round(x, 3) == 0.08 and round(w, 3) == 0.15 and round(h, 3) == 0.3  # 0.075..0.085
    assert first.box_at(1.0) is None and first.box_at(-0.1) is None


def test_a_face_lost_for_longer_than_the_gap_starts_a_new_cover() -> None:
    face = (0.3, 0.3, 0.1, 0.1)
    samples = [(0.0, [face]), (0.2, [face]), (0.4, []), (0.6, []), (0.8, []), (1.0, []),
               (1.2, [face])]  # fmt: skip
    assert [round(c.start, 2) for c in tracks(samples, 0.2, file=1, reason="x")] == [0.0, 1.1]


def test_the_regions_and_the_silences_of_one_file_at_a_time() -> None:
    fixed = Cover(file=1, start=1.0, end=2.0, box=(0.5, 0.5, 0.2, 0.2), kind="plate",
                  ground="privacy", reason="号牌")  # fmt: skip
    other = Cover(file=2, start=0.0, end=9.0, box=(0.1, 0.1, 0.1, 0.1), kind="face",
                  ground="privacy", reason="面部")  # fmt: skip
    mute = Mute(file=1, start=3.0, end=4.5, ground="state_secret", reason="涉密")
    marks = [mute, other, fixed]
    assert covers_at(marks, 1, 1.5) == [(0.5, 0.5, 0.2, 0.2)] and covers_at(marks, 1, 2.0) == []
    assert mutes_of(marks, 1) == [(3.0, 4.5)] and mutes_of(marks, 2) == []
    assert ordered(marks) == [fixed, other, mute]


def test_the_stored_form_is_whole_numbers_and_reads_back() -> None:
    cover = Cover(file=1, start=0.25, end=1.5, box=(0.125, 0.5, 0.25, 0.3333), kind="face",
                  ground="privacy", reason="面部", track=((0.25, (0.1, 0.2, 0.3, 0.4)),))  # fmt: skip
    stored = cover.to_dict()
    assert stored["start"] == 250 and stored["box"] == [1250, 5000, 2500, 3333]
    assert stored["track"] == [[250, 1000, 2000, 3000, 4000]]
    assert from_dict(stored).to_dict() == stored
    mute = Mute(file=1, start=1.0, end=2.0, ground="privacy", reason="住址").to_dict()
    assert mute == {"type": "mute", "file": 1, "start": 1000, "end": 2000, "ground": "privacy",
                    "reason": "住址"}  # fmt: skip


def test_every_problem_of_the_marks_is_named_by_its_field() -> None:
    marks = [
        from_dict({"type": "cover", "file": 1, "start": 0, "end": 1000,
                   "box": [9000, 0, 0, 1000], "kind": "hat", "ground": "x", "reason": ""}),
        from_dict({"type": "mute", "file": 3, "start": 0, "end": 1000, "ground": "privacy",
                   "reason": "r"}),
        from_dict({"type": "mute", "file": 1, "start": 2000, "end": 1000, "ground": "privacy",
                   "reason": "住址"}),
        from_dict({"type": "cover", "file": "一", "start": "x"}),
    ]  # fmt: skip
    assert problems({1: 10.0}, marks) == [
        "marks[1].box: 第 1 处遮盖的画面位置应在画面之内（0–100%）",
        "marks[1].kind: 第 1 处遮盖请选择内容类别（人脸、车牌、其他画面）",
        "marks[1].ground: 第 1 处遮盖请选择法定理由（个人隐私、商业秘密、国家秘密）",
        "marks[1].reason: 第 1 处遮盖须写明理由",
        "marks[2].file: 第 2 处静音所在的文件不是本记录的视频",
        "marks[3].end: 第 3 处静音的时间（2–1 秒）应在 0 至 10.0 秒之间，且起点早于终点",
        "marks[4].file: 第 4 处遮盖所在的文件不是本记录的视频",
    ]
