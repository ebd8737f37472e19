// libsystemc's own main() calls sc_main, so the shared library refers to it. Our programs
// have their own main() and start SystemC through simulate(); this is never called, it only
// satisfies the link (the library's users get it through `-Wl,--undefined=sc_main`).
extern "C" int sc_main(int /*argc*/, char* /*argv*/[]) { return 1; }
