// OpenBLAS's CBLAS interface (Debian: libopenblas-dev).
#include <cblas.h>
// Declared by OpenBLAS only; lets the benchmark and the CLI report and set the thread count.
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
// "OpenBLAS 0.3.21 ... DYNAMIC_ARCH ...": only a DYNAMIC_ARCH build honours OPENBLAS_CORETYPE.
char *openblas_get_config(void);
