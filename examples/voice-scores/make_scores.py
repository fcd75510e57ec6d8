#!/usr/bin/env python3
"""Write a seeded synthetic speaker-verification score set for verity's score-level
analysis (`verity analyse`): subjects.csv and scores.csv in this folder.

Plain Python 3, no packages. 240 speakers with two attributes, `sex` (F, M) and
`accent` (north, south, west); each speaker has 4 mated trials (two recordings of the
same speaker) and 8 non-mated trials against other speakers of the same sex, as speaker
evaluations usually pair them. Scores are log-likelihood ratios (LLR), not
similarities in [0, 1]: mated trials ~ N(4, 2), non-mated ~ N(-4, 2). One planted
differential: `west` speakers' mated scores are lower (~ N(2.5, 2.4)), as for an accent
under-represented in training, so their false rejections are higher at every threshold.

Usage: python3 examples/voice-scores/make_scores.py   (rewrites the two files)
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240611
SPEAKERS = 240
MATED_PER_SPEAKER = 4
NON_MATED_PER_SPEAKER = 8


def main():
    rng = random.Random(SEED)
    speakers = []
    for i in range(SPEAKERS):
        sex = "F" if i % 2 == 0 else "M"
        accent = ["north", "south", "west"][(i // 2) % 3]
        speakers.append((f"spk{i:03d}", sex, accent))
    with open(os.path.join(HERE, "subjects.csv"), "w", newline="\n") as f:
        f.write("subject_id,sex,accent\n")
        for s in speakers:
            f.write(",".join(s) + "\n")
    with open(os.path.join(HERE, "scores.csv"), "w", newline="\n") as f:
        f.write("probe_subject,reference_subject,score\n")
        for sid, sex, accent in speakers:
            for _ in range(MATED_PER_SPEAKER):
                mean, sd = (2.5, 2.4) if accent == "west" else (4.0, 2.0)
                f.write(f"{sid},{sid},{rng.gauss(mean, sd):.4f}\n")
            others = [s for s in speakers if s[1] == sex and s[0] != sid]
            for other in rng.sample(others, NON_MATED_PER_SPEAKER):
                f.write(f"{sid},{other[0]},{rng.gauss(-4.0, 2.0):.4f}\n")


if __name__ == "__main__":
    main()
