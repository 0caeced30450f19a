/* The thread pool: a fixed set of workers woken per parallel region (tid 0 is the caller). */
#include <pthread.h>
#include <stdint.h>
#include "vae.h"

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
  if (pool.n == 1) {
    fn(arg, 0);
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
}

void pool_lock(void) { pthread_mutex_lock(&pool.use); }
void pool_unlock(void) { pthread_mutex_unlock(&pool.use); }
