/* RMSNorm of two rows with the kernel the library picks for this CPU. */
#include <normbench.h>
#include <stdio.h>

int main(void) {
  float x[2][4] = {{1, 2, 3, 4}, {-1, 0.5f, 0.25f, 8}}, g[4] = {1, 1, 1, 1}, y[2][4];
  int rc = nb_rmsnorm_f32(x[0], g, y[0], 2, 4, 4, 4, 1e-5f); /* rows, d, strides, eps */
  if (rc != NB_OK) return fprintf(stderr, "%s\n", nb_strerror(rc)), 1;
  for (int r = 0; r < 2; r++) printf("%.9g %.9g %.9g %.9g\n", y[r][0], y[r][1], y[r][2], y[r][3]);
  printf("kernel: %s\n", nb_choose(NB_RMSNORM, NB_F32, 4, NULL)->name);
  return 0;
}
