# CPU lists in the kernel's and systemd's text form.
let c = (import ../../lib).cpus; in
[
  { name = "format collapses runs and sorts"; actual = c.format [ 6 2 3 ]; expected = "2-3,6"; }
  { name = "format of one CPU"; actual = c.format [ 5 ]; expected = "5"; }
  { name = "format of nothing"; actual = c.format [ ]; expected = ""; }
  { name = "format drops repeats"; actual = c.format [ 1 1 2 ]; expected = "1-2"; }
  { name = "format of scattered runs"; actual = c.format [ 0 1 2 3 5 7 8 9 15 ]; expected = "0-3,5,7-9,15"; }
  { name = "complement of 2-3 on 8 CPUs"; actual = c.complement 8 [ 2 3 ]; expected = [ 0 1 4 5 6 7 ]; }
  { name = "complement of everything is empty"; actual = c.complement 2 [ 0 1 ]; expected = [ ]; }
  { name = "duplicates are seen"; actual = map c.hasDuplicates [ [ 1 2 1 ] [ 1 2 3 ] ]; expected = [ true false ]; }
  { name = "intersection"; actual = c.intersection [ 0 1 3 ] [ 3 2 ]; expected = [ 3 ]; }
]
