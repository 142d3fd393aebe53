"""GEMM rates at the ablation shapes through torch.mm (MKL in the PyTorch CPU wheels), N threads (default 1):
the MKL half of bench/README.md's GEMM comparison, same shapes as bench/gemm_rates.c.

    python3 bench/gemm_rates.py [threads]
"""
import time, torch, sys
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
shapes = [("peak",0,0,1024,1024,1024),("fwd x W^T (q)",0,1,1024,128,128),("fwd x W^T (gate)",0,1,1024,342,128),
 ("fwd x W^T (down)",0,1,1024,128,342),("bwd dX = dY W",0,0,1024,128,128),("bwd dW = dY^T X",1,0,128,128,1024),
 ("bwd dW gate",1,0,342,128,1024),("lm head",0,1,1024,256,128),("attn QK^T tile",0,1,32,64,16),("attn PV tile",0,0,32,16,64),("attn QK^T full",0,1,128,128,16)]
for name,ta,tb,m,n,k in shapes:
    a = torch.rand(k,m) if ta else torch.rand(m,k)
    b = torch.rand(n,k) if tb else torch.rand(k,n)
    A = a.t() if ta else a; B = b.t() if tb else b
    c = torch.empty(m,n)
    reps = 2_000_000_000 // (2*m*n*k) + 1
    best = 1e9
    for r in range(5):
        t = time.perf_counter()
        for i in range(reps): torch.mm(A, B, out=c)
        best = min(best, (time.perf_counter()-t)/reps)
    print(f"{name:<28} m{m:5d} n{n:5d} k{k:5d}  {2*m*n*k/best/1e9:7.1f} GFLOP/s  {best*1e6:8.1f} us")
