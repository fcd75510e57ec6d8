#!/usr/bin/env python3
"""Calibration study for the demo's simulated vendors.

Reproduces the embedding model of vendors/src/simulated.rs in numpy (in distribution,
not bit for bit: the Rust vendor draws from ChaCha8 streams) and measures NPL-style
watchlist TPIR and FPIR per group at thresholds 0.56..0.64:

  TPIR = passes whose own subject is among the L candidates with score >= T / passes
  FPIR = crowd faces with any candidate score >= T / crowd faces

Usage: python3 examples/demo/calibrate.py examples/demo/vendor-a.toml [--crowd 240000]
The population (cells and shares, watchlist size, samples per subject) is read from
examples/demo/population.toml. The crowd defaults to the demo's crowd; a larger crowd
gives tighter FPIR estimates.
"""
import argparse, hashlib, os, sys, time, tomllib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = "\u00d7"


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def cells_of(pop):
    cells, shares = [()], [1.0]
    for a in pop["attributes"]:
        cells = [c + (v,) for c in cells for v in a["categories"]]
        shares = [s * w for s in shares for w in a["shares"]]
    shares = np.array(shares)
    return [SEP.join(c) for c in cells], shares / shares.sum()


def value_coordinate(seed, dim, value):
    v = value.encode()
    h = hashlib.sha256(b"verity/simulated/v1\0" + seed.to_bytes(8, "little") + b"value"
                       + len(v).to_bytes(8, "little") + v).digest()
    return int.from_bytes(h[:8], "little") % dim


class Model:
    def __init__(self, cfg, rng):
        self.cfg, self.rng, self.dim = cfg, rng, cfg["dim"]
        self.values = {}

    def params(self, cell):
        p = dict(cluster=0.0, identity_dim=self.dim, noise=0.5, quality_spread=0.0, fte=0.0)
        p.update(self.cfg.get("defaults", {}))
        vals = cell.split(SEP)
        keys = sorted(self.cfg.get("cells", {}).items(), key=lambda kv: len(kv[0].replace(",", SEP).split(SEP)))
        for k, o in keys:
            if all(x.strip() in vals for x in k.replace(",", SEP).split(SEP) if x.strip()):
                p.update(o)
        return p

    def direction(self, cell):
        # Exactly as value_coordinate() in vendors/src/simulated.rs.
        d = np.zeros(self.dim)
        for v in cell.split(SEP):
            d[value_coordinate(self.cfg["seed"], self.dim, v)] += 1.0
        return unit(d)

    def identities(self, cell, n):
        p = self.params(cell)
        w = np.zeros((n, self.dim))
        w[:, : p["identity_dim"]] = self.rng.standard_normal((n, p["identity_dim"]))
        r = p["cluster"]
        return unit(np.sqrt(r) * self.direction(cell) + np.sqrt(1 - r) * unit(w))

    def captures(self, cell, z):
        p = self.params(cell)
        n = len(z)
        ok = self.rng.random(n) >= p["fte"]
        s = p["noise"] * np.exp(p["quality_spread"] * self.rng.standard_normal(n)) / np.sqrt(self.dim)
        e = unit(z + s[:, None] * self.rng.standard_normal(z.shape))
        return e.astype(np.float32), ok


def study(cfg, pop, crowd, seed, thresholds, L):
    rng = np.random.default_rng(seed)
    m = Model(cfg, rng)
    cells, shares = cells_of(pop)
    wl = pop["protocols"]["watchlist"]["size"]
    k = pop["population"]["samples_per_subject"]
    n_wl = np.round(shares * wl).astype(int)
    n_cr = np.round(shares * crowd / k).astype(int) * k
    G, P, Pok, Gok, Pc, C, Cc = [], [], [], [], [], [], []
    for i, c in enumerate(cells):
        z = m.identities(c, n_wl[i])
        g, ok = m.captures(c, z); G.append(g); Gok.append(ok)
        for _ in range(k - 1):
            p, okp = m.captures(c, z); P.append(p); Pok.append(okp & ok); Pc.append(np.full(n_wl[i], i))
        zc = m.identities(c, n_cr[i] // k)
        for _ in range(k):
            e, okc = m.captures(c, zc); C.append(e[okc]); Cc.append(np.full(okc.sum(), i))
    G, Gok = np.vstack(G), np.concatenate(Gok)
    G[~Gok] = 0.0  # a failed enrolment never alerts
    nG = len(G)
    P, Pok, Pc = np.vstack(P), np.concatenate(Pok), np.concatenate(Pc)
    # order passes like the tiles above: per cell, (k-1) blocks of that cell's subjects
    mate = np.concatenate([np.arange(o, o + n) for o, n in zip(np.cumsum(n_wl) - n_wl, n_wl) for _ in range(k - 1)])
    C, Cc = np.vstack(C), np.concatenate(Cc)
    mate_s, rank, cmax = np.empty(len(P)), np.empty(len(P)), np.empty(len(C))
    for a in range(0, len(P), 4096):
        S = P[a:a + 4096] @ G.T
        ms = S[np.arange(len(S)), mate[a:a + 4096]]
        mate_s[a:a + 4096], rank[a:a + 4096] = ms, (S > ms[:, None]).sum(1)
    for a in range(0, len(C), 4096):
        cmax[a:a + 4096] = (C[a:a + 4096] @ G.T).max(1)
    rows = []
    for t in thresholds:
        hit = Pok & (mate_s >= t) & (rank < L)
        fa = cmax >= t
        per = {c: (hit[Pc == i].mean(), fa[Cc == i].sum(), (Cc == i).sum()) for i, c in enumerate(cells)}
        rows.append((t, hit.mean(), fa.sum(), len(C), per))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vendor")
    ap.add_argument("--population", default=os.path.join(HERE, "population.toml"))
    ap.add_argument("--crowd", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--by", default=None, help="attribute value to report against the rest, e.g. black")
    a = ap.parse_args()
    cfg = tomllib.load(open(a.vendor, "rb"))
    pop = tomllib.load(open(a.population, "rb"))
    wl = pop["protocols"]["watchlist"]
    crowd = a.crowd or (pop["population"]["subjects"] - wl["size"]) * pop["population"]["samples_per_subject"]
    t0 = time.time()
    rows = study(cfg, pop, crowd, a.seed, [0.56, 0.58, 0.60, 0.62, 0.64], wl["candidates"])
    print(f"{os.path.basename(a.vendor)}: watchlist {wl['size']}, crowd {crowd}, L {wl['candidates']}")
    for t, tpir, fa, n, per in rows:
        line = f"T={t:.2f} TPIR={tpir:.3f} FPIR={fa / n:.2e} ({fa}/{n})"
        if a.by:
            ins = [v for c, v in per.items() if a.by in c.split(SEP)]
            out = [v for c, v in per.items() if a.by not in c.split(SEP)]
            fi, ni = sum(v[1] for v in ins), sum(v[2] for v in ins)
            fo, no = sum(v[1] for v in out), sum(v[2] for v in out)
            line += f" | {a.by}: FPIR={fi / ni:.2e} ({fi}) others: FPIR={fo / no:.2e} ({fo}) ratio={(fi / ni) / max(fo / no, 1e-12):.2f}"
            line += f" TPIR {a.by}={np.mean([v[0] for v in ins]):.3f} others={np.mean([v[0] for v in out]):.3f}"
        print(line)
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
