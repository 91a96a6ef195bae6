"""Demo network, part two: discussions in the two public groups (pre-departure; reception).

Each Topic is a thread; `quote=N` on a reply makes it a reply to post number N, quoting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reply:
    author: str
    body: str
    quote: int | None = None  # post number (1 = the opening post) this reply answers and quotes


@dataclass(frozen=True)
class Topic:
    group: str
    title: str
    author: str
    days_ago: float
    body: str
    replies: tuple[Reply, ...] = field(default_factory=tuple)


PUBLIC_TOPICS: tuple[Topic, ...] = (
    Topic(
        "predeparture", "How long should a pre-departure orientation course be?", "emre", 40.5,
        "We currently run **three days** (about 15 hours) for adults, in Arabic and Kurmanji, "
        "in groups of 20–25. Partners in two receiving countries have asked whether we can do five.\n\n"
        "My worry: after day two people stop retaining anything, because the real questions are "
        "about family members left behind and the date of departure, which we cannot answer.\n\n"
        "How long are your courses, and what did you cut or add when you changed the length?",
        (
            Reply("pieter", "Ours is three days too. We tried four in 2022 and attendance on day four "
                  "dropped by half. What helped more was **a short online follow-up session** two weeks "
                  "before departure, when the date is known and people suddenly have concrete questions."),
            Reply("mohammed", "From the other side: I sat in one of these courses in Beirut in 2016. "
                  "I remember almost nothing from the slides. I remember *everything* the former refugee "
                  "who spoke to us on the last afternoon said about the first winter.", quote=1),
            Reply("emre", "That matches what we hear. We now have a former participant joining by video "
                  "on day three, but it depends on who is available.", quote=3),
            Reply("hanna", "For families going to small towns in Finland, a half-day specifically on "
                  "*distance*: how far the shop is, that buses are rare, that children walk to school "
                  "alone in the dark in December. Nobody believes it until they live it, but it helps "
                  "to have heard it."),
            Reply("grace", "Length matters less than sequencing in my experience. A few principles our "
                  "field teams use:\n\n"
                  "1. Start with the questions people bring, not the curriculum.\n"
                  "2. Rights and obligations on day one, because that is what people are anxious about.\n"
                  "3. Keep everything country-specific in a separate module so it can be updated by "
                  "the receiving country."),
            Reply("sofia", "+1 to Grace's third point. Half of what families told us they 'learned before "
                  "coming' about Portugal was about Spain."),
        ),
    ),
    Topic(
        "predeparture", "Talking honestly about housing before departure", "pieter", 36.2,
        "A recurring theme in our arrival interviews: families expected a house, often with a garden, "
        "and were placed in a two-room flat in a city.\n\n"
        "We don't want to frighten people, but we also don't want to promise. How do you present "
        "housing in orientation?",
        (
            Reply("sven", "We send our cultural orientation partners **real photos** of typical "
                  "apartments we rent in Umeå, with rooms measured. It's not glamorous. It is accurate."),
            Reply("fatima", "Please also explain *why*. When my family arrived we thought the flat was a "
                  "temporary punishment. Nobody told us that Dutch people of every background also wait "
                  "years for social housing.", quote=1),
            Reply("yusuf", "We use a short card: *What you will probably get / What you can ask for / "
                  "What takes time*. It's translated into nine languages. Happy to share the template."),
            Reply("claire", "Yusuf, would you post the template here? We're revising the French module "
                  "this spring.", quote=4),
            Reply("yusuf", "Here is the structure (the content is country-specific):\n\n"
                  "| Section | Example line |\n"
                  "| --- | --- |\n"
                  "| Probably | A furnished flat for the first year, in a town chosen for you |\n"
                  "| You can ask | For help if the flat is unsafe, too cold or too small |\n"
                  "| Takes time | Moving to another city; a larger home |\n\n"
                  "Keep it to one page; people photograph it with their phones."),
            Reply("katerina", "This is great. Our volunteers in Brno hear the same disappointment, "
                  "and by then it's too late to manage expectations."),
        ),
    ),
    Topic(
        "predeparture", "Orientation for children and teenagers", "katerina", 31.0,
        "Most curricula I have seen are for adults. What do you do with the 12–17 age group? "
        "They have different fears (school, friends, language) and they often end up interpreting "
        "for their parents.",
        (
            Reply("emre", "We run a separate track for 13–17 year-olds: school system, online safety, "
                  "and a long session on *what to do when your parents need you to translate* — and "
                  "that it's okay to say no at a doctor's appointment."),
            Reply("hamid", "Thank you for that last part. I translated at my mother's gynaecologist when I "
                  "was fourteen. Nobody should have to.", quote=2),
            Reply("mohammed", "In Göteborg we ask schools to record a short video tour of a classroom and "
                  "the canteen. The teenagers watch it many times."),
            Reply("leila", "There's some evidence that peer-led sessions work better for this age group "
                  "than adult trainers. Small samples, but consistent."),
        ),
    ),
    Topic(
        "predeparture", "Shared glossary of orientation terms (Arabic, Dari, Tigrinya, Somali)",
        "grace", 24.0,
        "Several of you have asked for consistent translations of terms like *residence permit*, "
        "*integration programme*, *social assistance* and *municipality*.\n\n"
        "I've started a glossary. Please reply with terms you need and (if you can) the translation "
        "your team uses. I'll consolidate it every Friday.",
        (
            Reply("fatima", "Somali: we say *degmada* for municipality, but people often understand it as "
                  "district. Worth a note."),
            Reply("mohammed", "Arabic: for *integration programme* we avoid *indimaj* in sessions, it sounds "
                  "like assimilation to many people. We say *barnamaj al-tawtin wa al-ta'sis* "
                  "(settlement and establishment programme)."),
            Reply("emre", "Could we add *family reunification*? It's the most asked-about term and the "
                  "translations vary a lot."),
            Reply("grace", "Added. First consolidated version is with the coordinators; I'll post "
                  "a link once it's checked by two native speakers per language.", quote=4),
        ),
    ),
    Topic(
        "predeparture", "What do people ask in the first week after arrival?", "sofia", 12.0,
        "I've kept a list of questions families asked me in their first week, over about forty "
        "arrivals. Top five:\n\n"
        "1. When can my relatives come?\n"
        "2. When will the money arrive, and how much is it?\n"
        "3. Where is the nearest mosque / church / halal shop?\n"
        "4. When do the children start school?\n"
        "5. Can I work?\n\n"
        "Would be interesting to compare with other countries. Could these shape orientation?",
        (
            Reply("hanna", "Almost identical in Tampere, except number 3 is \"where can I buy a SIM card\"."),
            Reply("pieter", "This is exactly the kind of evidence we need to redesign modules. Would you "
                  "mind if I share your list (anonymised, of course) with our curriculum group?"),
            Reply("sofia", "Please do.", quote=3),
        ),
    ),
    Topic(
        "predeparture", "Online orientation: did it work for you?", "hanna", 5.5,
        "Since the pandemic we have offered a video-call orientation when in-person is not "
        "possible. Feedback is mixed. Has anyone evaluated online versus in-person?",
        (
            Reply("lukas", "We compared knowledge scores three months after arrival for two cohorts "
                  "(small: 48 and 61 adults). No significant difference on facts; online participants "
                  "reported **less trust** in the receiving municipality. Interpret carefully."),
            Reply("emre", "Connectivity is our biggest problem. We now send the videos in advance on a "
                  "USB stick to the camp office, and use calls only for questions."),
            Reply("hanna", "The trust finding is interesting. A face makes a difference.", quote=2),
        ),
    ),
    Topic(
        "reception", "Finding housing in a tight rental market: what has worked?", "sven", 41.0,
        "Umeå has a waiting list of several years for rental apartments. We receive about 60 "
        "resettled people a year. Things we've tried:\n\n"
        "- master leases with the municipal housing company\n"
        "- renting from private landlords with a municipal guarantee\n"
        "- temporary student housing in summer (not great)\n\n"
        "What else is out there?",
        (
            Reply("aleksander", "In Gdańsk we work with a housing cooperative that sets aside 5% of new "
                  "units. It took two years of negotiation but it's stable now."),
            Reply("dimitris", "In Athens it's the opposite problem: apartments exist, but landlords refuse "
                  "tenants who receive benefits. An NGO acting as intermediary tenant helps, though it "
                  "puts us at financial risk."),
            Reply("hanna", "A municipal guarantee works for us too, but only if someone answers the "
                  "landlord's phone call on day one when the boiler breaks. **Responsiveness** is the real "
                  "guarantee.", quote=1),
            Reply("sven", "Agree. We now have a named landlord contact person, and the complaints dropped.",
                  quote=4),
            Reply("sofia", "Lisbon has a housing-first pilot for families: the municipality rents "
                  "directly, and after 18 months the lease transfers to the family if they want it. "
                  "Early results are promising — no evictions so far."),
            Reply("yusuf", "Sofia, is there anything written about the Lisbon pilot? Even a short internal "
                  "note would help our discussions with the city.", quote=6),
            Reply("sofia", "An evaluation is due in the autumn; I'll post it here.", quote=7),
            Reply("oksana", "Our experience in Kraków: shared flats for single men work better than we "
                  "expected, when the group is chosen together with the residents, not assigned."),
        ),
    ),
    Topic(
        "reception", "Language course waiting times", "leila", 38.0,
        "Across the projects we study, adults wait between **4 weeks and 7 months** for their first "
        "language course. The longer the wait, the lower the completion rate.\n\n"
        "What are waiting times where you work, and what bridges the gap?",
        (
            Reply("nour", "Our language café is often the *only* thing available in the first months. "
                  "Volunteers are not teachers, but we keep people speaking."),
            Reply("hanna", "About 6 weeks in Tampere. The integration plan is made first, then the course "
                  "starts."),
            Reply("katerina", "Longer in Czechia, often 3 months. Our volunteers do weekly one-to-one "
                  "conversation; we ask for a commitment of six months."),
            Reply("lukas", "The gap also matters for mothers of young children. If there's no childcare "
                  "with the course, the wait is effectively infinite.", quote=1),
            Reply("leila", "Yes, childcare is the hidden variable in almost every dataset we have.", quote=5),
            Reply("marieclaire", "In Brussels, women in our network organised a rotating childcare "
                  "so that two of them could attend each morning. It was informal and it worked."),
        ),
    ),
    Topic(
        "reception", "Enrolling children in school mid-year", "sofia", 33.5,
        "Families often arrive in February or March. Schools say \"wait until September\". "
        "In Portugal the law says children must be enrolled immediately, but in practice it's hard. "
        "How do you handle mid-year arrivals?",
        (
            Reply("hanna", "We have reception classes in two schools in Tampere. Children start within two "
                  "weeks, whatever the month."),
            Reply("claire", "The law is the same in France, and it's the same gap. What helps is a named "
                  "contact at the education authority who can be called directly."),
            Reply("mohammed", "The schools that did best with our families were the ones that assigned a "
                  "buddy pupil, ideally someone who had arrived a year earlier."),
            Reply("sofia", "The buddy idea costs nothing. I'll propose it at our next meeting with "
                  "the schools.", quote=4),
        ),
    ),
    Topic(
        "reception", "Mental health support in the first year", "yusuf", 27.0,
        "We see a lot of people who are fine in the first months and then struggle around month six "
        "to nine, when the practical urgency stops. How do you organise psychosocial support?",
        (
            Reply("hamid", "For me it was exactly month seven. Everything was done, and then I had time to "
                  "think.", quote=1),
            Reply("marieclaire", "Many people in our community will not go to a psychologist. They will come "
                  "to a women's group where there is tea and nobody calls it therapy. We invite "
                  "a psychologist to *join* the group once a month."),
            Reply("dimitris", "Interpreting is the bottleneck. Therapy through an untrained interpreter "
                  "can do harm. We now train interpreters specifically for mental health settings."),
            Reply("leila", "There's good material on low-intensity interventions delivered by trained "
                  "non-specialists. I can share a reading list if useful."),
            Reply("yusuf", "Please do, Leila.", quote=5),
            Reply("leila", "Short list to start with:\n\n"
                  "- guided self-help programmes designed for people affected by adversity\n"
                  "- problem-solving interventions delivered by trained lay helpers\n"
                  "- group-based psychosocial support adapted to culture and language\n\n"
                  "I'll post the full references in the library section once it is set up."),
            Reply("katerina", "Could we also talk about volunteers' own wellbeing? Some of ours burn out "
                  "after hearing difficult stories with no support at all."),
            Reply("yusuf", "Good point — I'll start a separate thread on volunteer support.", quote=8),
        ),
    ),
    Topic(
        "reception", "First job: recognition of qualifications", "oksana", 20.0,
        "Engineers, nurses and teachers among our participants end up cleaning offices for years "
        "because recognition takes so long. What has sped things up in your country?",
        (
            Reply("lukas", "Partial recognition helps: letting a nurse work as a care assistant under "
                  "supervision while the rest of the file is processed."),
            Reply("aleksander", "We have a fast track for doctors now, but it needs a B2 language "
                  "certificate first, and that is the real wait."),
            Reply("sofia", "The most useful thing we did was fund the translation and notarisation of "
                  "diplomas in the first month. It's cheap, and it's the step that otherwise waits "
                  "a year."),
        ),
    ),
    Topic(
        "reception", "Volunteer wellbeing and supervision", "yusuf", 9.0,
        "Following on from the mental health thread: how do you support volunteers who accompany "
        "families through difficult moments?",
        (
            Reply("katerina", "We started a monthly supervision evening with a psychologist who donates "
                  "her time. Attendance is about half of our volunteers, but those who come stay longer."),
            Reply("nour", "Clear boundaries, in writing, from the start: what a volunteer does and does "
                  "not do. It protects the volunteer *and* the family."),
            Reply("aisha", "In community sponsorship we have the same issue. A rota, so no one person is "
                  "the family's only contact, made a real difference."),
            Reply("yusuf", "Thank you all. I'll collect these into a one-page checklist.", quote=2),
        ),
    ),
    Topic(
        "reception", "Interpreters: phone, video or in person?", "hanna", 2.5,
        "Our municipality wants to move all interpreting to phone to save money. For which "
        "appointments do you insist on an in-person interpreter?",
        (
            Reply("dimitris", "Mental health, child protection, and anything with bad news. Always in "
                  "person."),
            Reply("mohammed", "As an interpreter: on the phone I miss half of what is happening in the room. "
                  "Video is a reasonable middle ground for routine appointments."),
        ),
    ),
)  # fmt: skip
