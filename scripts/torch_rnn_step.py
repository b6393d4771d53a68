"""PyTorch CPU peer for `npm run bench`: the same training steps as the harness, timed in PyTorch.

Modes (--mode), each printing one JSON line with "torch", "threads", "ms" (median wall-clock ms
per step), "cpu_ms" (median CPU ms of this process per step, all threads), ...:
  rnn       one RNN layer, many-to-one linear readout, MSE, SGD, global-norm clipping at 1
            (the adding problem / pixel MNIST step): --kind irnn|lstm|gru --seq-len T --input I
  lm        word language model step: embedding, LSTM or 4-layer ReLU RNN, linear readout to the
            vocabulary, cross-entropy, backward, Adam, clipping at 1, state carried (detached)
  lm-eval   loss of a whole token file (int32 ids) in streams of bptt windows, state carried,
            no gradients: seconds for the split ("ms") and its mean cross-entropy
  adding    one whole adding-problem run: train --steps steps with Adam, then the test MSE
  info      the BLAS this process uses (the library mapped into it, torch's build config) and
            the measured sgemm rate of a 1024^3 product
Subnormal floats are flushed to zero, as the fused kernels do (--keep-subnormals keeps them).
Run with OPENBLAS_NUM_THREADS set to --threads: OpenBLAS otherwise starts one thread per core.
"""
import argparse
import json
import os
import statistics
import time

import torch


def timed(step, warmup, runs):
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {"ms": statistics.median(wall), "cpu_ms": statistics.median(cpu), "runs": runs}


def rnn_mode(a):
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

    return timed(step, a.warmup, a.runs)


class LanguageModel(torch.nn.Module):
    def __init__(self, kind, vocab, embed, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, embed)
        if kind == "lstm":
            self.rnn = torch.nn.LSTM(embed, hidden)
        else:  # the 4-layer IRNN: ReLU units, identity recurrence
            self.rnn = torch.nn.RNN(embed, hidden, num_layers=4, nonlinearity="relu")
            with torch.no_grad():
                for l in range(4):
                    getattr(self.rnn, f"weight_hh_l{l}").copy_(torch.eye(hidden))
        self.head = torch.nn.Linear(hidden, vocab)

    def forward(self, x, state):  # x [T, B] ids -> logits [T*B, V]
        out, state = self.rnn(self.embed(x), state)
        return self.head(out.reshape(-1, out.shape[-1])), state


def detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def lm_mode(a):
    model = LanguageModel(a.kind, a.vocab, a.embed, a.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, a.vocab, (a.seq_len, a.batch), generator=g)
    y = torch.randint(0, a.vocab, (a.seq_len, a.batch), generator=g)
    carry = [None]

    def step():
        opt.zero_grad()
        logits, state = model(x, detach(carry[0]))
        loss = torch.nn.functional.cross_entropy(logits, y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        carry[0] = state

    return timed(step, a.warmup, a.runs)


def lm_eval_mode(a):
    import numpy as np

    ids = torch.from_numpy(np.fromfile(a.ids, dtype=np.int32).astype(np.int64))
    model = LanguageModel(a.kind, a.vocab, a.embed, a.hidden)
    streams = a.batch
    row = (len(ids) - 1) // streams
    xs = ids[: streams * row].reshape(streams, row).t()  # [row, streams]
    ys = ids[1 : streams * row + 1].reshape(streams, row).t()
    result = {}

    def run():
        total, count, state = 0.0, 0, None
        with torch.no_grad():
            for t0 in range(0, row, a.seq_len):
                x, y = xs[t0 : t0 + a.seq_len], ys[t0 : t0 + a.seq_len]
                logits, state = model(x, state)
                total += torch.nn.functional.cross_entropy(logits, y.reshape(-1), reduction="sum").item()
                count += y.numel()
        result.update(loss=total / count, tokens=count)

    out = timed(run, 0, a.runs)
    return {**out, **result}


def adding_mode(a):
    torch.manual_seed(a.seed)
    T, B, H = a.seq_len, a.batch, a.hidden

    def batch(n, g):
        values = torch.rand(n, T, generator=g)
        marks = torch.zeros(n, T)
        first = torch.randint(0, T // 2, (n,), generator=g)
        second = torch.randint(T // 2, T, (n,), generator=g)
        marks[torch.arange(n), first] = 1
        marks[torch.arange(n), second] = 1
        x = torch.stack([values, marks], 2).transpose(0, 1).contiguous()  # [T, n, 2]
        return x, (values * marks).sum(1, keepdim=True)

    rnn = torch.nn.LSTM(2, H) if a.kind == "lstm" else torch.nn.RNN(2, H, nonlinearity="relu")
    if a.kind == "irnn":
        with torch.no_grad():
            rnn.weight_hh_l0.copy_(torch.eye(H))
            rnn.weight_ih_l0.normal_(0, 0.001)
            rnn.bias_hh_l0.zero_()
            rnn.bias_ih_l0.zero_()
    head = torch.nn.Linear(H, 1)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    g = torch.Generator().manual_seed(a.seed)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        x, y = batch(B, g)
        opt.zero_grad()
        loss = ((head(rnn(x)[0][-1]) - y) ** 2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
    with torch.no_grad():
        x, y = batch(a.test_size, torch.Generator().manual_seed(12345))
        mse = ((head(rnn(x)[0][-1]) - y) ** 2).mean().item()
    return {"ms": (time.perf_counter() - t0) * 1000, "test_mse": mse}


def info_mode(a):
    n = 1024
    x, y = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        x @ y
    t0 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        x @ y
    gflops = 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9
    # The BLAS library actually mapped into this process (after a product has run).
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    config = torch.__config__.show()
    blas_info = next((p.split("=")[1] for p in config.replace(",", " ").split() if p.startswith("BLAS_INFO=")), "?")
    return {"sgemm_gflops": gflops, "blas_libs": [os.path.realpath(p) for p in libs], "blas_info": blas_info}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["rnn", "lm", "lm-eval", "adding", "info"], default="rnn")
    p.add_argument("--kind", choices=["irnn", "lstm", "gru"], default="irnn")
    p.add_argument("--seq-len", type=int, default=150)
    p.add_argument("--input", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--embed", type=int, default=128)
    p.add_argument("--ids", help="lm-eval: file of int32 token ids")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--test-size", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--keep-subnormals", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(not a.keep_subnormals)
    torch.manual_seed(0)
    modes = {"rnn": rnn_mode, "lm": lm_mode, "lm-eval": lm_eval_mode, "adding": adding_mode, "info": info_mode}
    out = modes[a.mode](a)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), **out}))


if __name__ == "__main__":
    main()
