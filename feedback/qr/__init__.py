"""QR codes for touchpoints: codes, rendering, scan recording and the printed /t target."""
