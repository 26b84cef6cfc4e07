#include "portcullis/cli/app.hpp"

int main(int argc, char** argv) { return portcullis::cli::run(argc, argv); }
