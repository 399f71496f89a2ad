/* normbench: measure and compare RMSNorm/LayerNorm kernels on this CPU. */
#include "cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
