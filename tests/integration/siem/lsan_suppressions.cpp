// LeakSanitizer suppressions for the SIEM tests (the ASan CI run has detect_leaks=1).
// librelp 1.11 leaks on its own paths — relpCltDestruct frees the permitted-peer names but not
// their array, and a failed TLS handshake leaves its GnuTLS session behind — which are neither
// ours to fix nor growing with traffic (once per connection attempt). Only frames in those two
// libraries are suppressed: our code calls GnuTLS only through librelp.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:librelp.so\nleak:libgnutls.so\n";
}
