"""Training scales past one process through accelerate: two CPU processes (gloo) train a few steps of a tiny model on
different batches and end with identical weights.

``accelerate launch --cpu --num_processes 2`` starts one process unless MPI is installed (accelerate 1.15 launches
multi-CPU jobs through mpirun); its torchrun launcher with ``ACCELERATE_USE_CPU`` starts two CPU processes that join a
gloo group, which is what a multi-GPU run does with NCCL.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

TINY = {"name": "tiny", "train_size": 16, "resolution": 16, "autoencoder": "", "batch_size": 4, "warmup_steps": 1, "max_steps": 3,
        "model": {"patch_size": 8, "patch_size_t": 4, "hidden_size": 32, "depth": 1, "num_heads": 2},
        "log_every": 1, "ckpt_every": 3, "eval_every": 100}


@pytest.mark.slow
def test_two_processes_end_with_identical_weights(tmp_path):
    accelerate = shutil.which("accelerate") or os.path.join(os.path.dirname(sys.executable), "accelerate")
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump({**TINY, "output_dir": str(tmp_path / "runs"), "data_dir": str(tmp_path / "data")}))
    env = dict(os.environ, ACCELERATE_USE_CPU="true", OMP_NUM_THREADS="1")
    res = subprocess.run([accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                          "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0",
                          "-m", "phydemo", "train", "--config", str(config)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    digests, decoder, at = {}, json.JSONDecoder(), res.stdout.find('{"rank"')
    while at >= 0:  # the two processes share stdout: their lines may run together
        record, end = decoder.raw_decode(res.stdout, at)
        digests[record["rank"]] = (record["step"], record["weights_sha256"])
        at = res.stdout.find('{"rank"', end)
    assert set(digests) == {0, 1} and digests[0] == digests[1] and digests[0][0] == 3
    assert res.stdout.count('{"step"') == 3  # logged once, by the main process
