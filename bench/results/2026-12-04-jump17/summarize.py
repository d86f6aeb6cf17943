import glob,re,json,sys
# Per round: jack_delay values after the first 10 s (lines marked ??? left out), and the
# resampler's figures from the slave's status. Usage: summarize.py CASE_DIR...
cases=sys.argv[1:]
for case in cases:
    out=[]; ll=[]; jj=[]
    for r in (1,2,3):
        f=f'{case}/raw/round{r}/ours/jack_delay.log'
        vals=[]; t0=None
        for line in open(f):
            m=re.match(r'(\d+\.\d+)\s+(\?\?\?)?\s*([\d.]+) frames',line)
            if not m: continue
            t=float(m.group(1))
            if t0 is None: t0=t
            if m.group(2) or t-t0<10: continue
            vals.append(float(m.group(3)))
        vals.sort(); n=len(vals)
        q=lambda p: vals[min(n-1,int(p*n))]
        out.append(f"r{r}: n={n} med {q(0.5):.1f} p5..p95 {q(0.05):.1f}..{q(0.95):.1f} ({q(0.95)-q(0.05):.1f}) IQR {q(0.75)-q(0.25):.1f} min..max {vals[0]:.1f}..{vals[-1]:.1f}")
        d=json.load(open(f'{case}/raw/round{r}/ours/slave-status.json'))['resampler']
        ll.append(d.get('lockLosses')); jj.append((d.get('jumpsFollowed'),d.get('latencyJumps'),d.get('jumpHeldFrames'),d.get('jumpDiscardedFrames'),d.get('resyncs'),d.get('concealments')))
    x=open(f'{case}/report.md').read()
    xr=re.search(r'\| ours \| [^\n]*',x.split('## Every case')[0]).group(0).split('|')[-2]
    print(case, ' xruns host/guest', xr); [print('  ',o) for o in out]; print('   lock losses',ll,' followed (dropped variant)/madegood/held/disc/resyncs/conceal',jj)
