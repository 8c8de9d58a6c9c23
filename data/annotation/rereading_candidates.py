#!/usr/bin/env python3
"""Selects the labeled real-news sentences late decisions might concern, for two
readers to re-read (data/README.md, "How it was made", step 5). It selects; it never
labels: the readers decide (an adjudicator where they disagree), and
real-rereadings.tsv keeps what they changed.

    python3 data/annotation/rereading_candidates.py 57 > candidates.txt
    python3 data/annotation/rereading_candidates.py --context 53 58 59 > candidates.txt

Each search pairs the labels a decision can change with words of its construction:
mostly the acts it can take away, and for decisions 82 and 90 the `none` it can turn
into an act. A sentence is a candidate when it holds one of those labels (as its
label, or, for decisions 56, 57, 83, 85 and 95, in `also` too) and its text has one
of the words. The searches are wide
on purpose: most of what they find is outside the decision, and the readers keep it.
A sentence found by several searches is listed once, with every decision that found
it. A re-reading ran on the data with its round added and before its own changes,
which no commit holds (each data commit has both): run on that commit, the search no
longer lists the sentences the re-reading moved out of its acts. The readers' files in
`rereadings/` list every candidate they read, with its id. `--context` adds, without their labels, the labeled sentences nearest before and
after it in its article: many articles are labeled only in part, so they are not
always the sentences next to it in the text.

- 44 (the running of a sitting): demands that speak of the floor, a sitting, speaking.
- 46 (ironic and mocking calls): demands with words of irony or mockery.
- 49 (a party's advice to its own people): demands addressed to a party's own
  candidates, members, cadres or elected officials, or that speak of a memo.
- 50 (saying a strike should end): demands to end or lift a strike or a movement.
- 51 (not joining an event others called): refusals that speak of taking part,
  marching, attending.
- 54 (resolve against a named challenger): refusals that speak of holding firm, not
  giving in, determination.
- 55 (acts in private life): any act whose text names a spouse or family member, or
  « en privé ».
- 56 (an official's instructions to their own staff): demands, in the label or
  `also`, that name a cabinet, collaborators, advisers, a team.
- 53 (bare reports of a call): demands that speak of a call, an appeal, renewing.
- 57 (instructions within one executive): demands, in the label or `also`, that name
  a government, ministers, prefects, services, forces or agents as addressees, or a
  circular, an instruction, a directive or an order.
- 58 (solidarity with victims): offers that speak of solidarity, condolences, thoughts.
- 59 (conditional offers): offers with « si », « à condition », « sous réserve ».
- 60 (arguing against a measure): refusals that call a measure useless or unjustified.
- 61 (a government announcing its own measure): offers with « a décidé », « allons »,
  « vont », « supprimer », « annoncer ».
- 62 (worry about one's own prospects): warnings that speak of worry or fear.
- 63 (calls to one's own supporters): demands addressed to activists, supporters,
  members, voters.
- 64 (recalling an earlier promise): offers with « s'était engagé », « avait promis ».
- 65 (boycotts): refusals that speak of a boycott or an empty chair.
- 68 (saying one will sue): warnings and demands that speak of a complaint, proceedings,
  suing, the courts.
- 69 (bare reports of an offer or idea): offers and demands that speak of « l'idée »,
  « cette offre », « la proposition », a suggestion.
- 70 (encouraging another party's own project): demands and offers that speak of
  encouraging, or of going on with one's project or candidacy.
- 71 (visions of Europe or of the state): offers and demands that speak of a kind of
  Europe, a model, a vision, federalism, recasting, a vanguard, a new republic.
- 72 (court orders): demands that speak of a court, a judge, an order, an injunction.
- 73 (audits of accounts): refusals that speak of the CNCCFP, campaign accounts,
  expenses, reimbursement, striking out.
- 74 (abuse shouted in an aggression): warnings that speak of an aggression, blows,
  insults, shouting, graffiti, death threats.
- 75 (requests within a coalition): demands that speak of an alliance, a coalition, a
  rally, a joint list, partners, allies, « au nom de ».
- 76 (conditions that only describe what is refused): demands with a « si » and a no.
- 77 (a court's reasoning): refusals that speak of a court, a council, judges.
- 78 (« la balle est dans le camp de X »): demands that say whose move it is.
- 79 (control bodies asking to justify): demands that speak of justifying, a last
  chance, the CNCCFP, campaign accounts.
- 80 (a union's « nous » calling a trade to act): offers with « donnons », « faisons »…,
  a union, railway workers.
- 81 (hearings and summonses): demands that speak of summoning, hearing, an inquiry.
- 82 (announcing a request one will make): `none` sentences that say someone will plead,
  ask, claim or demand.
- 83 (same-speaker acts in adverbial clauses): any act, in the label or `also`, with
  « même si », « au moment où », « alors que », « au risque de », « sous peine de ».
- 84 (measures a government is only considering): offers that say « envisage »,
  « pourrait », « réfléchit », « peut-être », « à l'étude ».
- 85 (requests up or across one executive): demands, in the label or `also`, that
  name a secretary of state, a high commissioner, prosecutors, prefects, a circular,
  an arbitration, a clarification, a colleague, « au sein du gouvernement ».
- 86 (how one is addressed in the exchange): demands about being called, interrupted,
  the tone.
- 87 (a party's own disciplinary procedure): warnings that speak of exclusion,
  sanctions, a party's ethics or disciplinary body.
- 88 (fragments that continue another sentence's act): acts whose text begins with
  « Et », « Ainsi que », « Puis », « Ou », « Sans oublier », « Plus ».
- 89 (inviting the public into one's own consultation): demands that speak of a
  consultation, a platform, a site, contributing, a questionnaire.
- 90 (votes cast against a named measure): `none` sentences that say someone voted or
  spoke against something.
- 91 (partners courted for an alliance already made): offers that speak of seeking
  out, rallying, joining, convincing, an alliance concluded.
- 92 (refusing to give up one's own demand): refusals that speak of giving in, giving
  up, « jusqu'au retrait », « tant que ».
- 93 (pleading inability): refusals that say one cannot, is unable, has not the means.
- 94 (declaring war on a class of offenders): warnings that speak of war, zero
  tolerance, a fight, hunting down.
- 95 (requests between the members of one group): demands, in the label or `also`,
  that speak of a group, members, components, partners, a joint list, a majority.
- 96 (declining a social invitation): refusals that speak of an invitation, a dinner,
  an anniversary, a reception, a ceremony.
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def words(pattern):
    return re.compile(pattern, re.IGNORECASE)


# decision → (acts it can take away, whether `also` counts, the words of its construction)
SEARCHES = {
    "44": (
        {"demand"},
        False,
        words(r"la parole|séance|intervenir|aller au bout|terminer mon|finir mon|me laisser"),
    ),
    "46": ({"demand"}, False, words(r"chiche|ironi|moqu|raill|blague|plaisant|sarcas")),
    "49": (
        {"demand"},
        False,
        words(r"(ses|leurs|aux|les) (candidats|militants|adhérents|cadres|fédérations|élus)|consigne|note interne|conseillé"),
    ),
    "50": (
        {"demand"},
        False,
        words(r"(grève|mouvement|blocage).*(fin\b|arrêt|cess|termin|lever|levée|repren)|(fin\b|arrêt|cess|termin|lever|levée|repren).*(grève|mouvement|blocage)"),
    ),
    "51": (
        {"refusal"},
        False,
        words(r"particip|manifest|marche|rassemblement|défil|n'ira pas|ne se rendra pas|pas présent|ne sera pas"),
    ),
    "54": (
        {"refusal"},
        False,
        words(r"tiendr|détermin|céder|cap\b|recul|fermeté|ne lâcher|pas lâcher|plier"),
    ),
    "55": (
        {"demand", "refusal", "warning", "offer"},
        False,
        words(r"sa femme|son mari|son épouse|son fils|sa fille|ses enfants|sa mère|son père|en privé|conjoint|compagne|compagnon|famille"),
    ),
    "56": (
        {"demand"},
        True,
        words(r"cabinet|collaborat|conseiller|son équipe|ses équipes|son staff|son entourage"),
    ),
    "53": ({"demand"}, False, words(r"\bappels?\b|réitér|renouvel|a lancé|lance un")),
    "57": (
        {"demand"},
        True,
        words(
            r"(à|aux|au) (son |ses |leur |leurs |au |aux |les |la |le )?(gouvernement|ministres?|"
            r"préfets?|préfecture|services|administrations?|forces de l'ordre|policiers|gendarmes|"
            r"ambassadeurs?|armée|membres du gouvernement|directeurs?|recteurs?|agents)\b|"
            r"circulaire|instruction|consigne|ordonn"
        ),
    ),
    "58": ({"offer"}, False, words(r"solidarit|condoléance|compassion|sympathie|pensées|hommage")),
    "59": ({"offer"}, False, words(r"\bsi\b|\bs'il|\bs'ils|à condition|pourvu que|sous réserve")),
    "60": (
        {"refusal"},
        False,
        words(r"inutile|ne sert à rien|n'arrangera|injustifi|pas la bonne|pas une bonne|absurde"),
    ),
    "61": ({"offer"}, False, words(r"\ba décidé|\bva \w+er\b|\ballons\b|\bvont\b|supprim|annonc")),
    "62": ({"warning"}, False, words(r"inqui[eè]t|craint|crainte|redout|peur|s'alarm")),
    "63": (
        {"demand"},
        False,
        words(r"militants|soutiens|partisans|sympathisants|fidèles|adhérents|troupes|électeurs"),
    ),
    "64": (
        {"offer"},
        False,
        words(r"s'était engagé|s'étaient engagés|avait promis|avait assuré|avait annoncé|promesse"),
    ),
    "65": ({"refusal"}, False, words(r"boycott|chaise vide|ne siég|ne participer")),
    "68": (
        {"warning", "demand"},
        False,
        words(r"plainte|procédure|poursuites|poursuivre en|en justice|saisir (la justice|le tribunal|le conseil)|attaquer"),
    ),
    "69": (
        {"offer", "demand"},
        False,
        words(r"l'idée|cette offre|cette proposition|la proposition\b|sa proposition\b|suggér|suggestion|souffl"),
    ),
    "70": ({"demand", "offer"}, False, words(r"encourag|poursuivre son|poursuivre sa|dans (son|sa) (projet|démarche|candidature)")),
    "71": (
        {"offer", "demand"},
        False,
        words(
            r"europe (fédérale|confédérale|des nations|à deux vitesses|puissance|sociale|souveraine|"
            r"des peuples|protectrice)|modèle|vision|fédéralis|refond|avant-garde|milite pour|"
            r"défend l'idée|plaide pour une? (europe|république|état)|vi[eè]me république"
        ),
    ),
    "72": (
        {"demand"},
        False,
        words(r"conseil d'[ée]tat|tribunal|juge|\bcour\b|cour de|ordonn|enjoin|injonction|référé|condamn"),
    ),
    "73": (
        {"refusal"},
        False,
        words(r"cnccfp|commission nationale des comptes|cour des comptes|comptes de campagne|dépenses|réform|retranch|invalid|rembours"),
    ),
    "74": (
        {"warning"},
        False,
        words(r"agress|frapp|coups?\b|insult|injur|cri[ée]|hurl|lancé à|tag|graffiti|menaces? de mort"),
    ),
    "75": (
        {"demand"},
        False,
        words(r"alliance|coalition|rassemblement|union de la gauche|liste commune|partenaires|alliés|au nom d"),
    ),
    "76": ({"demand"}, False, words(r"\bsi\b.*(\bnon\b|refus|pas question|jamais|exclu)")),
    "77": (
        {"refusal"},
        False,
        words(r"conseil constitutionnel|les sages|conseil d'[ée]tat|tribunal|\bcour\b|juges?\b"),
    ),
    "78": ({"demand"}, False, words(r"balle est dans|dans le camp d|à (lui|elle|eux) de jouer")),
    "79": (
        {"demand"},
        False,
        words(r"justifi|dernière chance|bureau du parlement|cnccfp|cour des comptes|comptes de campagne"),
    ),
    "80": ({"offer"}, False, words(r"\b(donnons|faisons|laissons|offrons|ouvrons)\b|syndicat|cheminots")),
    "81": ({"demand"}, False, words(r"convoqu|auditionn|audition|entendus? (par|au|à)|commission d'enquête")),
    "82": (
        {"none"},
        False,
        words(r"plaidera|demandera|réclamera|exigera|va (demander|réclamer|exiger|plaider)|compte (demander|réclamer)|entend (demander|réclamer)"),
    ),
    "83": (
        {"demand", "refusal", "warning", "offer"},
        True,
        words(r"même s'|même si|au moment où|alors qu|au risque d|sous peine d"),
    ),
    "84": (
        {"offer"},
        False,
        words(r"envisag|pourrai[te]|réfléchi|avance la possibilité|peut-être|à l'étude|étudie|n'exclu"),
    ),
    "85": (
        {"demand"},
        True,
        words(r"haut[- ]commissaire|secrétaire d'[ée]tat|parquets?\b|procureurs?\b|garde des sceaux|circulaire|arbitrage|clarification|(son|sa|ses|leur) collègue|au sein du gouvernement|(aux|les) préfets?"),
    ),
    "86": ({"demand"}, False, words(r"appel(le|ez|er) (madame|monsieur)|vous m'appel|m'interromp|laissez-moi|ton\b|tutoie|vouvoie")),
    "87": (
        {"warning"},
        False,
        words(r"exclu|exclusion|sanction|commission (d'éthique|des conflits)|discipline|disciplinaire|place dans|n'a(ura)? plus (sa|leur) place"),
    ),
    "88": ({"demand", "refusal", "warning", "offer"}, False, words(r"^\W*(et|ainsi que|puis|ou|sans oublier|plus)\b")),
    "89": ({"demand"}, False, words(r"consultation|plateforme|\bsite\b|contribu|questionnaire|propositions? (des|de) citoyens|participer à")),
    "90": ({"none"}, False, words(r"vot(é|ée|és|ées|ait|aient|ant|era|eront|erai|erait|eraient|er|ent|e|es|ons|ez) contre|s'(est|était|étaient|sont) prononcée?s? contre|voté non\b")),
    "91": ({"offer"}, False, words(r"allée? chercher|ralli|rejoint|convaincu|a obtenu le soutien|s'est allié|alliance (conclue|scellée)")),
    "92": ({"refusal"}, False, words(r"céder|lâcher|plier|renoncer|jusqu'au (retrait|bout)|tant que")),
    "93": ({"refusal"}, False, words(r"ne (peu[tx]|peuvent|pourr\w+|pouv\w+) pas|incapable|pas les moyens|impossible de|pas en mesure")),
    "94": ({"warning"}, False, words(r"guerre|tolérance zéro|sans merci|lutte contre|combat contre|traque|pourchass")),
    "95": ({"demand"}, True, words(r"groupe|membres|composantes?|constructifs|partenaires|liste commune|majorité")),
    "96": ({"refusal"}, False, words(r"invit|dîner|déjeuner|anniversaire|réception|soirée|déjà pris|cérémonie")),
}


def main():
    args = sys.argv[1:]
    context = "--context" in args
    decisions = [a for a in args if a != "--context"]
    unknown = [d for d in decisions if d not in SEARCHES]
    if not decisions or unknown:
        sys.exit(f"usage: rereading_candidates.py [--context] DECISION...; searches exist for {', '.join(SEARCHES)}")
    print(f"# Sentences to re-read against decision(s) {', '.join(decisions)} "
          "(N. id | current label | current also | decisions | text)\n")
    n = 0
    for path in sorted((ROOT / "data").rglob("*.jsonl")):
        if "constructed" in path.parts:
            continue
        records = [json.loads(line) for line in open(path, encoding="utf-8")]
        for i, r in enumerate(records):
            found = []
            for d in decisions:
                acts, with_also, search = SEARCHES[d]
                held = {r["label"], *r.get("also", [])} if with_also else {r["label"]}
                if acts & held and search.search(r["text"]):
                    found.append(d)
            if not found:
                continue
            n += 1
            also = ",".join(r.get("also", [])) or "-"
            print(f"{n}. {r['id']} | {r['label']} | {also} | {','.join(found)} | {r['text']}")
            if context:
                for j, name in ((i - 1, "before"), (i + 1, "after")):
                    if 0 <= j < len(records) and records[j].get("source") == r.get("source"):
                        print(f"    ({name}: {records[j]['text']})")
                print()


if __name__ == "__main__":
    main()
