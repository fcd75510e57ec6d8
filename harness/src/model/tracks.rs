//! Video in a benchmark (docs/benchmark-format.md, "Video: frames, tracks and videos").
//! A *frame* is a sample whose capture column `track` names the track it belongs to; a
//! *track* (an appearance) is one person's frames in one video, in time order; a *video*
//! holds tracks. The columns `video` and `frame_time` (seconds from the start of the
//! video) go with `track`. Frames are ordinary samples (media, capture attributes,
//! landmarks); a sample with an empty `track` is a still.

use crate::model::benchmark::Samples;
use std::collections::HashMap;

/// The capture columns of a frame.
pub const VIDEO: &str = "video";
pub const TRACK: &str = "track";
pub const FRAME_TIME: &str = "frame_time";

/// One person seen in consecutive frames of one video.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub id: String,
    pub video: String,
    /// Index into the population's subjects.
    pub subject: u32,
    /// Sample indices of its frames, in time order.
    pub frames: Vec<u32>,
    /// Seconds from the start of the video, one per frame, increasing.
    pub times: Vec<f64>,
}

/// A rule a frame breaks: the sample (index into `Samples`; `None` for the table as a
/// whole), the column, the value and what is wrong, for the loader to locate.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackProblem {
    pub sample: Option<usize>,
    pub column: &'static str,
    pub value: String,
    pub message: String,
}

/// The tracks of a benchmark, in the order of their first frames; empty when the samples
/// have no `track` column. `line` gives the table line of a sample, for messages that
/// point to another frame.
pub fn tracks(samples: &Samples, line: impl Fn(usize) -> u64) -> Result<Vec<Track>, Vec<TrackProblem>> {
    let column = |name: &str| samples.capture(name).map(|c| &c.values);
    let Some(track) = column(TRACK) else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    let problem = |sample: Option<usize>, column: &'static str, value: &str, message: String| TrackProblem {
        sample,
        column,
        value: value.to_string(),
        message,
    };
    let (Some(video), Some(time)) = (column(VIDEO), column(FRAME_TIME)) else {
        let missing = if column(VIDEO).is_none() { VIDEO } else { FRAME_TIME };
        return Err(vec![problem(
            None,
            missing,
            "",
            "a samples table with a `track` column needs `video` and `frame_time` columns too".to_string(),
        )]);
    };
    let mut out: Vec<Track> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    // The sample of each track's latest frame, for messages.
    let mut last_frame: Vec<usize> = Vec::new();
    for i in 0..samples.len() {
        let (t, v, when) = (&track[i], &video[i], &time[i]);
        if t.is_empty() {
            if !when.is_empty() {
                problems.push(problem(
                    Some(i),
                    FRAME_TIME,
                    when,
                    "a frame time on a sample that is not a frame (no `track`)".into(),
                ));
            }
            continue;
        }
        if v.is_empty() {
            problems.push(problem(Some(i), VIDEO, v, format!("frame of track `{t}` has no video")));
            continue;
        }
        let Some(seconds) = when.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0) else {
            problems.push(problem(
                Some(i),
                FRAME_TIME,
                when,
                "a frame time is seconds from the start of the video, a number >= 0".into(),
            ));
            continue;
        };
        let subject = samples.subject[i];
        match index.get(t.as_str()) {
            None => {
                index.insert(t, out.len());
                last_frame.push(i);
                out.push(Track {
                    id: t.clone(),
                    video: v.clone(),
                    subject,
                    frames: vec![i as u32],
                    times: vec![seconds],
                });
            }
            Some(&k) => {
                let first = out[k].frames[0] as usize;
                let previous = last_frame[k];
                if out[k].video != *v {
                    problems.push(problem(
                        Some(i),
                        VIDEO,
                        v,
                        format!(
                            "track `{t}` is in video `{}` (line {}); a track is in one video",
                            out[k].video,
                            line(first)
                        ),
                    ));
                } else if out[k].subject != subject {
                    problems.push(problem(
                        Some(i),
                        TRACK,
                        t,
                        format!("track `{t}` is another person's at line {}; a track is one person", line(first)),
                    ));
                } else if seconds <= *out[k].times.last().unwrap_or(&f64::NEG_INFINITY) {
                    problems.push(problem(
                        Some(i),
                        FRAME_TIME,
                        when,
                        format!(
                            "frames of track `{t}` must be listed in increasing time: the frame at line {} is at {}",
                            line(previous),
                            time[previous]
                        ),
                    ));
                } else {
                    out[k].frames.push(i as u32);
                    out[k].times.push(seconds);
                    last_frame[k] = i;
                }
            }
        }
    }
    // Two tracks of one person in one video may not overlap in time: the person is in
    // one place at a time, and an overlap would make the same appearance count twice.
    let mut by_person: HashMap<(&str, u32), Vec<usize>> = HashMap::new();
    for (k, tr) in out.iter().enumerate() {
        by_person.entry((tr.video.as_str(), tr.subject)).or_default().push(k);
    }
    let mut overlaps = Vec::new();
    for ks in by_person.values() {
        let mut ks = ks.clone();
        ks.sort_by(|&a, &b| out[a].times[0].total_cmp(&out[b].times[0]).then(a.cmp(&b)));
        for pair in ks.windows(2) {
            let (a, b) = (&out[pair[0]], &out[pair[1]]);
            let end = *a.times.last().unwrap_or(&a.times[0]);
            if b.times[0] <= end {
                overlaps.push((b.frames[0] as usize, b.id.clone(), a.id.clone(), a.times[0], end));
            }
        }
    }
    overlaps.sort_by_key(|o| o.0);
    for (sample, id, other, from, to) in overlaps {
        problems.push(problem(
            Some(sample),
            TRACK,
            &id,
            format!(
                "track `{id}` overlaps in time track `{other}` of the same person in the same video ({from} to {to} s)"
            ),
        ));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::benchmark::CaptureColumn;

    fn samples(subject: &[u32], columns: &[(&str, &[&str])]) -> Samples {
        Samples {
            ids: (0..subject.len()).map(|i| format!("s{i}")).collect(),
            subject: subject.to_vec(),
            media: vec![crate::model::benchmark::MediaSource::Inline(Vec::new()); subject.len()],
            capture: columns
                .iter()
                .map(|(name, values)| CaptureColumn {
                    name: name.to_string(),
                    values: values.iter().map(|v| v.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn line(i: usize) -> u64 {
        i as u64 + 2
    }

    #[test]
    fn frames_make_tracks_in_time_order() {
        let s = samples(
            &[0, 0, 1, 0, 0, 1],
            &[
                (TRACK, &["t1", "t1", "t2", "", "t3", "t2"]),
                (VIDEO, &["v1", "v1", "v1", "", "v1", "v1"]),
                (FRAME_TIME, &["0.5", "1", "0", "", "2.5", "0.04"]),
            ],
        );
        let t = tracks(&s, line).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].id.as_str(), t[0].frames.clone(), t[0].times.clone()), ("t1", vec![0, 1], vec![0.5, 1.0]));
        assert_eq!((t[1].subject, t[1].frames.clone()), (1, vec![2, 5]));
        assert_eq!(t[2].frames, vec![4]);
        assert!(tracks(&samples(&[0], &[]), line).unwrap().is_empty(), "no track column: no tracks");
    }

    #[test]
    fn broken_frames_are_located() {
        let s = samples(
            &[0, 0, 0, 1, 0, 0, 0, 0],
            &[
                (TRACK, &["t1", "t1", "t1", "t1", "t2", "", "t9", "t3"]),
                (VIDEO, &["v1", "v1", "v2", "v1", "v1", "", "", "v1"]),
                (FRAME_TIME, &["1", "0.5", "2", "3", "1.5", "7", "1", "x"]),
            ],
        );
        let problems = tracks(&s, line).unwrap_err();
        let found: Vec<(Option<usize>, &str, &str)> =
            problems.iter().map(|p| (p.sample, p.column, p.message.as_str())).collect();
        assert_eq!(
            found,
            vec![
                (
                    Some(1),
                    FRAME_TIME,
                    "frames of track `t1` must be listed in increasing time: the frame at line 2 is at 1"
                ),
                (Some(2), VIDEO, "track `t1` is in video `v1` (line 2); a track is in one video"),
                (Some(3), TRACK, "track `t1` is another person's at line 2; a track is one person"),
                (Some(5), FRAME_TIME, "a frame time on a sample that is not a frame (no `track`)"),
                (Some(6), VIDEO, "frame of track `t9` has no video"),
                (Some(7), FRAME_TIME, "a frame time is seconds from the start of the video, a number >= 0"),
            ]
        );
        // t1 (1 s) and t2 (1.5 s) of person 0 in v1: t2 starts where t1 is, no overlap
        // is reported until the rows are fixed; with them fixed, the overlap is.
        let s = samples(
            &[0, 0, 0, 0],
            &[
                (TRACK, &["t1", "t1", "t2", "t3"]),
                (VIDEO, &["v1", "v1", "v1", "v2"]),
                (FRAME_TIME, &["1", "2", "2", "1.5"]),
            ],
        );
        let problems = tracks(&s, line).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].sample, Some(2));
        assert_eq!(
            problems[0].message,
            "track `t2` overlaps in time track `t1` of the same person in the same video (1 to 2 s)"
        );
        let missing = tracks(&samples(&[0], &[(TRACK, &["t1"]), (VIDEO, &["v"])]), line).unwrap_err();
        assert_eq!((missing[0].sample, missing[0].column), (None, FRAME_TIME));
    }
}
