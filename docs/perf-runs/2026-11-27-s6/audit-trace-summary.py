import sys, statistics as st
ev=[tuple(map(int,l.split())) for l in open(sys.argv[1])]
# per group: sync start(1) -> sync end(2) -> completions end(3) -> group_commit swap(5) -> next sync start
syncd=[];comp=[];gap=[];fill=[];first=[]
last={}
prev3=None
got=True
for k,t,n in ev:
    if k==1: last[1]=t
    elif k==2 and 1 in last: syncd.append((t-last[1])/1e3); last[2]=t
    elif k==3 and 2 in last: comp.append((t-last[2])/1e3); prev3=t; got=False
    elif k==4 and prev3 is not None and not got: first.append((t-prev3)/1e3); got=True
    elif k==5 and prev3 is not None: gap.append((t-prev3)/1e3); prev3=None
def s(name,a):
    if not a: print(name,'none'); return
    a=sorted(a); print('%-28s n=%5d p50=%8.1f p90=%8.1f mean=%8.1f'%(name,len(a),a[len(a)//2],a[int(len(a)*.9)],sum(a)/len(a)))
s('sync (us)',syncd); s('completions (us)',comp); s('compl end->1st awaiting',first); s('compl end->group swap',gap)
