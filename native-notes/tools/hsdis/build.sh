#!/bin/sh
# Builds the HotSpot disassembler plugin hsdis-amd64.so (native-notes/tools/README.md) into target/hsdis/.
# A developer tool for -XX:+PrintAssembly; nothing in the project's build or tests uses it.
# Needs gcc and Debian's binutils-dev (libopcodes); installs the latter when run as root and it is missing.
set -e
cd "$(dirname "$0")/../../.."
if [ ! -f /usr/include/dis-asm.h ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q binutils-dev
    else
        echo "build.sh: /usr/include/dis-asm.h missing: install Debian's binutils-dev (apt-get install binutils-dev)" >&2
        exit 2
    fi
fi
mkdir -p target/hsdis
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o target/hsdis/hsdis-amd64.so \
    native-notes/tools/hsdis/hsdis-opcodes.c -lopcodes -lbfd
echo "built target/hsdis/hsdis-amd64.so; use it with LD_LIBRARY_PATH=$PWD/target/hsdis"
