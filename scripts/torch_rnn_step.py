"""PyTorch CPU peer for `npm run bench`: median time of one training step of a one-layer RNN.

Mirrors the harness step: many-to-one readout of the last state, MSE loss, SGD, global-norm
gradient clipping at 1. Prints one JSON line: {"torch": version, "ms": median wall-clock ms per step, "cpu_ms": median
CPU ms per step (less disturbed by other processes on a shared machine), ...}.
Subnormal floats are flushed to zero, as the fused kernels do: gradients that decay over
hundreds of steps otherwise make PyTorch's LSTM and GRU at T = 784 several times slower on x86
(--keep-subnormals measures that default).
Usage: python3 torch_rnn_step.py --kind irnn|lstm|gru --seq-len 150 --input 2 [--threads 1]
"""
import argparse
import json
import statistics
import time

import torch


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", choices=["irnn", "lstm", "gru"], required=True)
    p.add_argument("--seq-len", type=int, required=True)
    p.add_argument("--input", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--keep-subnormals", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(not a.keep_subnormals)
    torch.manual_seed(0)

    if a.kind == "irnn":
        rnn = torch.nn.RNN(a.input, a.hidden, nonlinearity="relu")
        with torch.no_grad():  # the IRNN initialisation: identity recurrence, small inputs
            rnn.weight_hh_l0.copy_(torch.eye(a.hidden))
            rnn.weight_ih_l0.normal_(0, 0.001)
            rnn.bias_hh_l0.zero_()
            rnn.bias_ih_l0.zero_()
    else:
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[a.kind](a.input, a.hidden)
    head = torch.nn.Linear(a.hidden, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.01)
    x = torch.rand(a.seq_len, a.batch, a.input)  # [T, B, I]
    y = torch.rand(a.batch, 1)

    def step():
        opt.zero_grad()
        out, _ = rnn(x)
        loss = ((head(out[-1]) - y) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    wall, cpu = [], []
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "flush_subnormals": not a.keep_subnormals,
                      "ms": statistics.median(wall), "cpu_ms": statistics.median(cpu), "runs": a.runs}))


if __name__ == "__main__":
    main()
