"""Our TensorBoard event files read by the real `tensorboard` package.

Trains two short runs with the release binaries on the bundled data (the main job's model,
a smaller batch):
  base  the baseline "A B", 60 steps, zero-shot every 20 steps; afterwards
        `siglip-eval zero-shot --rounds 1,2 --tensorboard` adds its results to the run;
  rins  "A^r B" at 2 rounds, zero-shot every 20 steps at rounds 1 and 2, killed with SIGKILL
        once it has written step 30 (its last checkpoint is step 20), then `--resume`d to 60;
and reads each run directory with TensorBoard's own `EventAccumulator` (every file, in
TensorBoard's order, orphaned data purged as the TensorBoard server does by default). Checks:
  - every scalar of every metrics.jsonl line (steps and evaluations) is in the events at its
    step, once, equal to the float32 of the JSON value; no tag holds a step twice or a step
    metrics.jsonl lacks (the killed session's steps 21-30 are gone);
  - the curves chart is an image at each evaluation step, a PNG of the size it says;
  - the hparams plugin data: one experiment and one session start per session, the run's
    options as written in train_config.json;
  - the zero-shot results appended by siglip-eval are at the run's last step;
  - a TensorBoard server started on the runs (`tensorboard --logdir`, its default fast loader,
    tensorboard-data-server) serves every step scalar of both runs once, equal to metrics.jsonl;
  - TensorBoard's own RecordWriter frames three events (a version, a scalar, a session start)
    to the bytes Tests/SigLIPTrainingTests/TensorBoardTests.swift holds ("golden framing"),
    and its masked_crc32c of b"123456789".

    pip install tensorboard            # 2.21 here
    swift build -c release --product siglip-train --product siglip-eval
    python3 evals/tensorboard/check_events.py [--runs DIR] > evals/tensorboard/check_events.out

Exits 1 on the first failed check. The committed check_events.out is its output on this
repository (runs in a temporary folder; wall times and images/s differ run to run, the
checks do not).
"""
import argparse
import json
import math
import os
import pathlib
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorboard
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.summary.writer.record_writer import RecordWriter
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

ROOT = pathlib.Path(__file__).resolve().parents[2]
TRAIN = ROOT / ".build" / "release" / "siglip-train"
EVAL = ROOT / ".build" / "release" / "siglip-eval"
ZEROSHOT = ROOT / "datasets" / "default" / "zeroshot"
STEP_KEYS = {  # metrics.jsonl key -> tag (Sources/SigLIPTraining/Run/TrainingEventFile.swift)
    "loss": "train/loss", "lr": "train/learning_rate", "t": "train/logit_scale_t", "b": "train/bias_b",
    "grad_norm": "train/grad_norm", "images_per_s": "train/images_per_s", "examples": "train/examples",
    "flops": "train/flops", "skipped_files": "train/skipped_files", "image_cosine": "train/image_cosine",
    "text_cosine": "train/text_cosine", "image_rounds": "train/image_rounds", "comm_s": "train/comm_s",
}
COMMON = ["--steps", "60", "--batch-size", "32", "--eval-every", "20", "--checkpoint-every", "20", "--threads", "2"]

failures = 0


def check(condition, what):
    global failures
    print(("ok    " if condition else "FAIL  ") + what)
    if not condition:
        failures += 1
        print(f"\n{failures} check failed")
        sys.exit(1)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def golden_framing():
    """The three events of TensorBoardTests.framingMatchesTensorBoardByteForByte, framed by
    TensorBoard's RecordWriter."""
    version = event_pb2.Event(wall_time=1_700_000_000.5, file_version="brain.Event:2")
    scalar = event_pb2.Event(wall_time=1_700_000_001.25, step=7,
                             summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="train/loss", simple_value=0.25)]))
    start = event_pb2.Event(wall_time=1_700_000_002, step=5, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "golden")
        with open(path, "wb") as f:
            writer = RecordWriter(f)
            for e in (version, scalar, start):
                writer.write(e.SerializeToString())
            writer.flush()
        return open(path, "rb").read().hex()


SHOWN_PATHS = {str(ROOT) + "/": ""}   # paths printed shorter: the repository, the runs folder


def show(args):
    text = " ".join(f"'{a}'" if " " in str(a) else str(a) for a in args)
    for path, short in SHOWN_PATHS.items():
        text = text.replace(path, short)
    return "$ " + text


def run(args, **kw):
    print(show(args))
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, **kw)


def read_metrics(run_dir):
    steps, evals = {}, []
    for line in open(run_dir / "metrics.jsonl"):
        record = json.loads(line)
        if "eval" in record:
            evals.append(record["eval"])
        else:
            steps[record["step"]] = record
    return steps, evals


def load(run_dir):
    acc = event_accumulator.EventAccumulator(
        str(run_dir), size_guidance={event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0, event_accumulator.TENSORS: 0},
        purge_orphaned_data=True)
    acc.Reload()
    return acc


def check_run(name, run_dir, sessions, eval_rounds, appended=None):
    files = sorted(p.name for p in run_dir.iterdir() if "tfevents" in p.name)
    print(f"\n[{name}] {len(files)} event files: " + ", ".join(f.split(".")[3] + "…" for f in files))
    acc = load(run_dir)
    steps, evals = read_metrics(run_dir)
    tags = acc.Tags()
    shown = {tag: acc.Scalars(tag) for tag in tags["scalars"]}

    # Every step scalar, once, at its step.
    step_list = sorted(steps)
    check(step_list == list(range(1, step_list[-1] + 1)), f"{name}: metrics.jsonl has steps 1-{step_list[-1]} once each")
    compared = 0
    for key, tag in STEP_KEYS.items():
        present = [s for s in step_list if key in steps[s]]
        if not present:
            check(tag not in shown, f"{name}: {tag} absent as its key is")
            continue
        points = shown.get(tag, [])
        check([p.step for p in points] == present, f"{name}: {tag} at steps {present[0]}-{present[-1]}, each once ({len(points)} points)")
        for p in points:
            want = f32(float(steps[p.step][key]))
            if not (p.value == want or (math.isnan(p.value) and math.isnan(want))):
                check(False, f"{name}: {tag} at step {p.step}: {p.value!r} in the events, {want!r} in metrics.jsonl")
            compared += 1
    check(True, f"{name}: {compared} step scalars equal metrics.jsonl's float32 values")

    # Every periodic zero-shot figure, per rounds value.
    eval_steps = sorted({e["step"] for e in evals})
    benchmark = ZEROSHOT.name
    compared = 0
    for r in eval_rounds:
        for metric in ("top1", "top5"):
            tag = f"zeroshot/{benchmark}/{metric}@r{r}"
            points = shown.get(tag, [])
            check([p.step for p in points] == eval_steps, f"{name}: {tag} at steps {eval_steps}")
            for p in points:
                (e,) = [e for e in evals if e["step"] == p.step and e["rounds"] == r]
                check(p.value == f32(e[metric]), f"{name}: {tag} at step {p.step} = {p.value:.4f}")
                compared += 1
    expected_tags = {t for k, t in STEP_KEYS.items() if any(k in s for s in steps.values())}
    expected_tags |= {f"zeroshot/{benchmark}/{m}@r{r}" for r in eval_rounds for m in ("top1", "top5")}
    if appended:
        expected_tags |= set(appended)
    check(set(shown) == expected_tags, f"{name}: {len(shown)} scalar tags, none besides metrics.jsonl's"
          + (" and siglip-eval's" if appended else ""))

    # The curves chart at each evaluation.
    images = acc.Images("curves") if "curves" in tags["images"] else []
    check([i.step for i in images] == eval_steps, f"{name}: curves image at steps {[i.step for i in images]}")
    for i in images:
        png = i.encoded_image_string
        width, height = struct.unpack(">II", png[16:24])
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and (width, height) == (i.width, i.height),
              f"{name}: curves at step {i.step}: PNG {width}x{height}, {len(png)} bytes")

    # The hparams: an experiment and a session start per session, with the run's options.
    content = acc.PluginTagToContent("hparams")
    check(set(content) == {"_hparams_/experiment", "_hparams_/session_start_info"}, f"{name}: hparams plugin tags {sorted(content)}")
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    starts = acc.Tensors("_hparams_/session_start_info")
    check(len(starts) == sessions, f"{name}: {len(starts)} hparams session start(s), one per session")
    config = json.load(open(run_dir / "train_config.json"))
    values = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
    for key in ("signature", "rounds", "seed", "batch_size", "learning_rate", "model"):
        json_key = {"batch_size": "batchSize", "learning_rate": "learningRate"}.get(key, key)
        want = config.get(json_key, config.get(key))
        check(values.get(key) == want or (isinstance(want, float) and abs(values.get(key) - want) < 1e-12),
              f"{name}: hparam {key} = {values.get(key)!r} (train_config.json: {want!r})")
    metric_tags = [m.name.tag for m in experiment.metric_infos]
    check(metric_tags[0] == "train/loss" and all(t in shown for t in metric_tags),
          f"{name}: experiment lists {len(experiment.hparam_infos)} hparams and metrics {metric_tags}")

    if appended:
        last = step_list[-1]
        for tag, value in appended.items():
            points = shown.get(tag, [])
            check([(p.step, p.value) for p in points] == [(last, f32(value))], f"{name}: {tag} = {value:.4f} at step {last} (siglip-eval)")


def check_server(runs, names):
    """Every step scalar of each run as a TensorBoard server serves it (the scalars plugin's
    HTTP API), against metrics.jsonl."""
    port = 6106
    print(f"\n$ tensorboard --logdir $RUNS --port {port}")
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(runs), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def get(path):
            with urllib.request.urlopen(f"http://localhost:{port}{path}", timeout=10) as response:
                return json.load(response)
        deadline = time.time() + 120
        while True:
            try:
                tags = get("/data/plugin/scalars/tags")
                if set(names) <= set(tags) and all(len(get("/data/plugin/scalars/scalars?" + urllib.parse.urlencode(
                        {"run": n, "tag": "train/loss"}))) == len(read_metrics(runs / n)[0]) for n in names):
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("TensorBoard did not serve the runs within 2 minutes")
            time.sleep(1)
        for name in names:
            steps, _ = read_metrics(runs / name)
            compared = 0
            for key, tag in STEP_KEYS.items():
                if tag not in tags[name]:
                    continue
                served = get("/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": name, "tag": tag}))
                check([s for _, s, _ in served] == sorted(steps), f"server: {name} {tag}: steps 1-{len(steps)}, each once")
                for _, step, value in served:
                    if f32(value) != f32(float(steps[step][key])):
                        check(False, f"server: {name} {tag} at step {step}: {value!r}, metrics.jsonl {steps[step][key]!r}")
                    compared += 1
            check(compared > 0, f"server: {name}: {compared} step scalars equal metrics.jsonl's float32 values")
    finally:
        server.terminate()
        server.wait()


def wait_for_step(metrics, step, process):
    while process.poll() is None:
        if metrics.exists():
            lines = [json.loads(l) for l in open(metrics) if l.strip()]
            if any(l.get("step", 0) >= step for l in lines):
                return
        time.sleep(0.05)
    raise SystemExit(f"the run ended before step {step}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", help="folder for the run directories (default: a temporary folder)")
    args = parser.parse_args()
    for binary in (TRAIN, EVAL):
        if not binary.exists():
            raise SystemExit(f"{binary}: missing; swift build -c release --product siglip-train --product siglip-eval")
    print(f"tensorboard {tensorboard.__version__}")

    golden = golden_framing()
    print(f"golden framing: {golden}")
    print(f"masked_crc32c(b'123456789') = 0x{masked_crc32c(b'123456789'):08X}")
    swift_test = (ROOT / "Tests/SigLIPTrainingTests/TensorBoardTests.swift").read_text()
    held = "".join(l.strip().rstrip("\\") for l in swift_test.split('static let golden = """')[1].split('"""')[0].splitlines())
    check(held == golden, "TensorBoardTests' golden framing is RecordWriter's")

    holder = tempfile.TemporaryDirectory() if args.runs is None else None
    runs = pathlib.Path(args.runs or holder.name)
    runs.mkdir(parents=True, exist_ok=True)
    SHOWN_PATHS[str(runs)] = "$RUNS"
    os.chdir(ROOT)

    base = runs / "base"
    run([TRAIN, *COMMON, "--eval-rounds", "1", "--output", base])
    report = runs / "base-zeroshot.json"
    run([EVAL, "zero-shot", "--checkpoint", base / "checkpoints" / "step-00000060", "--data", ZEROSHOT,
         "--rounds", "1,2", "--json", report, "--tensorboard", base])
    results = json.load(open(report))
    appended = {}
    for result in results["checkpoints"][0]["results"]:
        appended[f"eval/{ZEROSHOT.name}/top1@r{result['rounds']}"] = result["top1"]
        appended[f"eval/{ZEROSHOT.name}/top5@r{result['rounds']}"] = result["top5"]

    rins = runs / "rins"
    rins_args = [TRAIN, *COMMON, "--signature", "A^r B", "--rounds", "2", "--eval-rounds", "1,2", "--output", rins]
    print(show(rins_args) + "   # killed after step 30")
    process = subprocess.Popen(rins_args, stdout=subprocess.DEVNULL)
    wait_for_step(rins / "metrics.jsonl", 30, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = load(rins)
    killed_steps = [p.step for p in killed.Scalars("train/loss")]
    check(killed_steps[-1] >= 30, f"rins killed: the events hold steps 1-{killed_steps[-1]}, the last checkpoint is step 20")
    run([*rins_args, "--resume"])

    check_run("base", base, sessions=1, eval_rounds=[1], appended=appended)
    check_run("rins", rins, sessions=2, eval_rounds=[1, 2])
    check_server(runs, ["base", "rins"])
    print("\nall checks passed")


if __name__ == "__main__":
    main()
