/* Fused vs separate projection GEMMs (forward, dX and dW) at the study's shape, one thread: Q/K/V as three
   2048x128x128 GEMMs or one 2048x128x384, gate/up as two 2048x128x342 or one 2048x128x684; best and mean of 200
   alternating repetitions. Build: gcc -O2 bench/fused_gemm.c -o /tmp/fused_gemm -lopenblas;
   run: OPENBLAS_CORETYPE=SkylakeX /tmp/fused_gemm (bench/README.md, "What is not here yet"). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static float*mk(size_t n){float*p=malloc(n*4);for(size_t i=0;i<n;i++)p[i]=(i%7)*0.1f;return p;}
int M=2048,D=128;
/* separate: P projections of width n each; fused: one of width P*n. Row-major x[M,D], W stored [D, n] */
double sep(int P,int n,float*x,float**w,float**y,float*dy_all,float*dx,float**dw){
  double t=now();
  for(int p=0;p<P;p++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,n,D,1,x,D,w[p],n,0,y[p],n);
  for(int p=0;p<P;p++) cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,M,D,n,1,y[p],n,w[p],n,p?1:0,dx,D);
  for(int p=0;p<P;p++) cblas_sgemm(CblasRowMajor,CblasTrans,CblasNoTrans,D,n,M,1,x,D,y[p],n,0,dw[p],n);
  return now()-t;}
double fus(int P,int n,float*x,float*w,float*y,float*dx,float*dw){
  int N=P*n; double t=now();
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,M,N,D,1,x,D,w,N,0,y,N);
  cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasTrans,M,D,N,1,y,N,w,N,0,dx,D);
  cblas_sgemm(CblasRowMajor,CblasTrans,CblasNoTrans,D,N,M,1,x,D,y,N,0,dw,N);
  return now()-t;}
int main(){openblas_set_num_threads(1);
 int cases[2][2]={{3,128},{2,342}};
 for(int c=0;c<2;c++){int P=cases[c][0],n=cases[c][1];
  float*x=mk((size_t)M*D),*dx=mk((size_t)M*D);float*w[3],*y[3],*dw[3];
  for(int p=0;p<P;p++){w[p]=mk(D*n);y[p]=mk((size_t)M*n);dw[p]=mk(D*n);}
  float*wf=mk(D*P*n),*yf=mk((size_t)M*P*n),*dwf=mk(D*P*n);
  double bs=1e9,bf=1e9,ss=0,sf=0;
  for(int r=0;r<200;r++){double a=sep(P,n,x,w,y,0,dx,dw),b=fus(P,n,x,wf,yf,dx,dwf);if(a<bs)bs=a;if(b<bf)bf=b;ss+=a;sf+=b;}
  printf("P=%d n=%d: separate best %.1f us mean %.1f; fused best %.1f us mean %.1f; ratio best %.2f mean %.2f\n",P,n,bs*1e6,ss/200*1e6,bf*1e6,sf/200*1e6,bs/bf,ss/sf);}
 return 0;}
