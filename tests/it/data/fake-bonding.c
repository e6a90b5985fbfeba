/* fake-bonding.ko: an empty module object whose .modinfo says what the real bonding.ko's says
 * about its name and the alias the kernel asks for on `ip link add NAME type bond`. depmod
 * indexes it, so that `modprobe --show-depends` shows which modprobe.d options kmod would pass
 * to bonding, without Debian's kernel modules. Built with:
 *   gcc -c -Os fake-bonding.c -o fake-bonding.o
 *   strip --strip-unneeded fake-bonding.o -o fake-bonding.ko
 */
static const char m[] __attribute__((section(".modinfo"), used, aligned(1))) =
    "name=bonding\0alias=rtnl-link-bond";
