/* The thread pool: a fixed set of workers woken per parallel region (tid 0 is the caller).
 *
 * A region runs in a mode of its own, set on entry and restored on exit for the caller (Node's
 * main thread) and set for good on the workers (they run nothing else):
 *
 * - Signals wait until the region ends. oneDNN's JIT sgemm kernels point the stack pointer into
 *   a heap buffer while they run (seen in gdb: rsp 0x5eb3000 inside [heap], the main thread's
 *   stack at 0x7fff…), so a signal delivered then (Ctrl-C, SIGTERM, a terminal resize) had its
 *   frame, ~3 KB with the AVX-512 registers, written over the heap: "corrupted size vs.
 *   prev_size", a segfault in V8's allocator, or worse, silent damage. 8 of 14 SIGTERMs to
 *   IWAE-50 trainings, which spend ~95% of a step in those kernels, crashed them. Faults (SEGV,
 *   BUS, FPE, ILL, TRAP) are not blocked. A region lasts milliseconds (an evaluation chunk a
 *   fraction of a second), so a signal is still handled promptly.
 * - Subnormal floats are flushed to zero (FTZ and DAZ on x86, FZ on Arm). The IWAE gradient
 *   weights each sample by its normalised importance weight, and with k = 50 many of those fall
 *   below float's smallest normal number (1.2e-38: log-weights 87 nats below the best sample's)
 *   once the posterior sharpens: the backward GEMMs then read and write subnormals, each a
 *   microcode assist on Intel (an epoch of the quality bench's Fashion-MNIST IWAE-50 row took
 *   395 s instead of 53–74 s, 94% of it in the GEMM kernels; the same loss). Values that small
 *   change no sum the model computes. Node's JavaScript numbers keep their subnormals: the
 *   caller's mode is restored after each region. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include "vae.h"
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
typedef unsigned fp_mode;
static fp_mode flush_subnormals(void) {
  const fp_mode old = _mm_getcsr();
  _mm_setcsr(old | 0x8040u); /* FTZ (bit 15): subnormal results become 0; DAZ (bit 6): subnormal inputs read as 0 */
  return old;
}
static void restore_fp(fp_mode old) { _mm_setcsr(old); }
#elif defined(__aarch64__)
typedef uint64_t fp_mode;
static fp_mode flush_subnormals(void) {
  fp_mode old;
  __asm__ volatile("mrs %0, fpcr" : "=r"(old));
  __asm__ volatile("msr fpcr, %0" : : "r"(old | (1ull << 24))); /* FZ */
  return old;
}
static void restore_fp(fp_mode old) { __asm__ volatile("msr fpcr, %0" : : "r"(old)); }
#else
typedef int fp_mode;
static fp_mode flush_subnormals(void) { return 0; }
static void restore_fp(fp_mode old) { (void)old; }
#endif

typedef struct {
  fp_mode fp;
  sigset_t signals;
} Mode;

/* Enters the region mode on this thread; returns the mode to restore. */
static Mode enter_region(void) {
  Mode old;
  sigset_t all;
  sigfillset(&all);
  const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
  for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) sigdelset(&all, faults[i]);
  pthread_sigmask(SIG_BLOCK, &all, &old.signals);
  old.fp = flush_subnormals();
  return old;
}

static void leave_region(const Mode *old) {
  restore_fp(old->fp);
  pthread_sigmask(SIG_SETMASK, &old->signals, NULL); /* a signal that came meanwhile is delivered now */
}

static struct {
  int n; /* threads including the caller */
  pthread_t threads[MAX_THREADS];
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  long generation;
  int pending;
  task_fn fn;
  void *arg;
  int started;
  pthread_mutex_t use;
} pool = {.n = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER,
          .use = PTHREAD_MUTEX_INITIALIZER};

static void *worker_main(void *p) {
  int tid = (int)(intptr_t)p;
  long seen = 0;
  enter_region(); /* for good: this thread runs nothing else */
  for (;;) {
    pthread_mutex_lock(&pool.mu);
    while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.mu);
    seen = pool.generation;
    task_fn fn = pool.fn;
    void *arg = pool.arg;
    pthread_mutex_unlock(&pool.mu);
    fn(arg, tid);
    pthread_mutex_lock(&pool.mu);
    if (--pool.pending == 0) pthread_cond_signal(&pool.done);
    pthread_mutex_unlock(&pool.mu);
  }
  return NULL;
}

int pool_start(int n) {
  if (pool.started) return pool.n;
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pool.n = 1;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (int i = 1; i < n; i++) {
    if (pthread_create(&pool.threads[i], &attr, worker_main, (void *)(intptr_t)i) != 0) break;
    pool.n = i + 1;
  }
  pthread_attr_destroy(&attr);
  pool.started = 1;
  return pool.n;
}

int pool_threads(void) { return pool.n; }

void pool_run(task_fn fn, void *arg) {
  const Mode caller = enter_region();
  if (pool.n == 1) {
    fn(arg, 0);
    leave_region(&caller);
    return;
  }
  pthread_mutex_lock(&pool.mu);
  pool.fn = fn;
  pool.arg = arg;
  pool.pending = pool.n - 1;
  pool.generation++;
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  fn(arg, 0);
  pthread_mutex_lock(&pool.mu);
  while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
  pthread_mutex_unlock(&pool.mu);
  leave_region(&caller);
}

void pool_lock(void) { pthread_mutex_lock(&pool.use); }
void pool_unlock(void) { pthread_mutex_unlock(&pool.use); }
