/* GEMM rates at the ablation shapes through CBLAS (OpenBLAS here), one thread: the OpenBLAS half of
   bench/README.md's GEMM comparison. Build: gcc -O2 bench/gemm_rates.c -o /tmp/gemm_rates -lopenblas;
   run: OPENBLAS_CORETYPE=SkylakeX /tmp/gemm_rates (the core AttnLab selects on that VM; see attnlab env). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
void run(const char*name,int ta,int tb,int m,int n,int k){
  float*a=calloc((size_t)m*k,4),*b=calloc((size_t)k*n,4),*c=calloc((size_t)m*n,4);
  for(int i=0;i<m*k;i++)a[i]=(i%7)*0.1f; for(int i=0;i<k*n;i++)b[i]=(i%5)*0.1f;
  int reps=2000000000/(2*m*n*k)+1; double best=1e9;
  for(int r=0;r<5;r++){double t=now();for(int i=0;i<reps;i++)
    cblas_sgemm(CblasRowMajor,ta?CblasTrans:CblasNoTrans,tb?CblasTrans:CblasNoTrans,m,n,k,1,a,ta?m:k,b,tb?k:n,0,c,n);
    t=(now()-t)/reps; if(t<best)best=t;}
  printf("%-28s m%5d n%5d k%5d  %7.1f GFLOP/s  %8.1f us\n",name,m,n,k,2.0*m*n*k/best/1e9,best*1e6);
  free(a);free(b);free(c);}
int main(){openblas_set_num_threads(1);
 run("peak",0,0,1024,1024,1024);
 run("fwd x W^T (q)",0,1,1024,128,128);
 run("fwd x W^T (gate)",0,1,1024,342,128);
 run("fwd x W^T (down)",0,1,1024,128,342);
 run("fwd qkv fused",0,1,1024,384,128);
 run("bwd dX = dY W",0,0,1024,128,128);
 run("bwd dW = dY^T X",1,0,128,128,1024);
 run("bwd dW gate",1,0,342,128,1024);
 run("lm head",0,1,1024,256,128);
 run("attn QK^T tile",0,1,32,64,16);
 run("attn PV tile",0,0,32,16,64);
 run("attn QK^T full",0,1,128,128,16);
 return 0;}
